import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { RuntimeSource, RuntimeUpdate } from './source.js';

/**
 * The runtime document from a file (outside a cluster). fs.watch on the directory (so atomic
 * rename-into-place writes are seen) triggers a read at once; a poll every `pollMs` catches what
 * fs.watch misses (network filesystems, editors, platforms without inotify). Reads are
 * coalesced: one in flight, one more queued.
 */
export class FileRuntimeSource implements RuntimeSource {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSignature = '';
  private reading = false;
  private again = false;
  private stopped = false;
  private onUpdate: (update: RuntimeUpdate) => void = () => undefined;

  constructor(private readonly path: string, private readonly pollMs: number) {}

  get description(): string {
    return `file:${this.path}`;
  }

  async start(onUpdate: (update: RuntimeUpdate) => void): Promise<void> {
    this.onUpdate = onUpdate;
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(this.path)) void this.read(true);
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // No directory yet, or no fs.watch here: polling alone still works.
    }
    this.timer = setInterval(() => void this.read(false), this.pollMs);
    this.timer.unref();
    await this.read(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  private async read(force: boolean): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.readOnce(force);
      } while (this.again && !this.stopped);
    } finally {
      this.reading = false;
    }
  }

  private async readOnce(force: boolean): Promise<void> {
    try {
      const s = await stat(this.path);
      const signature = `${s.mtimeMs}:${s.size}:${s.ino}`;
      if (!force && signature === this.lastSignature) return;
      const text = await readFile(this.path, 'utf8');
      this.lastSignature = signature;
      if (!this.stopped) this.onUpdate({ source: this.description, text });
    } catch (error) {
      const signature = `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
      if (!force && signature === this.lastSignature) return;
      this.lastSignature = signature;
      if (!this.stopped) this.onUpdate({ source: this.description, error: error as Error });
    }
  }
}
