/**
 * DEVELOPMENT HARNESS — not part of the product. Prometheus file_sd entries, one file per
 * replica (`matcher-<pod>.json` in job `matcher`), written atomically: Prometheus watches the
 * directory, and a half-written file would drop the target for a scrape. The temporary name
 * starts with a dot so the `matcher-*.json` glob never matches it.
 */
import { renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export class PrometheusTargets {
  constructor(private readonly dir: string, private readonly prefix = 'matcher') {
    mkdirSync(dir, { recursive: true });
  }

  fileFor(pod: string): string {
    return join(this.dir, `${this.prefix}-${pod}.json`);
  }

  write(pod: string, address: string, labels: Record<string, string> = {}): void {
    const file = this.fileFor(pod);
    const tmp = join(this.dir, `.${this.prefix}-${pod}.json.tmp`);
    writeFileSync(tmp, JSON.stringify([{ targets: [address], labels: { pod, ...labels } }]) + '\n');
    renameSync(tmp, file);
  }

  remove(pod: string): void {
    rmSync(this.fileFor(pod), { force: true });
  }
}
