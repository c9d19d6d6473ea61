/**
 * An informer as an explicit state machine (kube-rs' watcher): Listing → Watching → (on error)
 * Backoff → Watching, or → Listing again when the watch says 410 Gone or goes silent.
 *
 * - The cache is a Map keyed by namespace/name, replaced by each list (deletions missed while
 *   away are emitted as DELETED) and kept current by the watch.
 * - Any error restarts the watch after a jittered exponential backoff (0.8 s → 30 s), from the
 *   last resourceVersion; 410 Gone (expired resourceVersion) relists at once.
 * - A watchdog relists when nothing (not even a bookmark) arrived for `silenceMs`: a watch
 *   whose TCP connection died silently would otherwise leave the cache stale forever.
 * - start() is single-flight: a second call returns the first call's "synced" promise.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { backoffDelay } from '../shared/backoff.js';
import { jittered, sleep } from './clock.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatcherState = 'Stopped' | 'Listing' | 'Watching' | 'Backoff';

export interface WatcherOptions<T extends k8s.KubernetesObject> {
  /** Name for logs and metrics, e.g. "scalingpolicies". */
  name: string;
  kubeConfig: k8s.KubeConfig;
  /** The collection path, e.g. /apis/apps/v1/namespaces/ns/deployments. */
  path: string;
  list: () => Promise<k8s.KubernetesListObject<T>>;
  labelSelector?: string;
  /** E.g. `metadata.name=x`: the API server authorizes such a list/watch against resourceNames. */
  fieldSelector?: string;
  onEvent: (type: WatchEventType, object: T) => void;
  /**
   * What the cache keeps of each object (client-go's SetTransform): the fields the operator
   * reads, so a cluster's worth of managedFields, pod templates or EndpointSlices costs little.
   */
  transform?: (object: T) => T;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Relist when the watch is silent this long (bookmarks arrive about every minute). */
  silenceMs?: number;
  /** Every restart: 'gone', 'silent', or 'error' with the error (the channel is broken until the next list or watch succeeds). */
  onRestart?: (reason: 'gone' | 'silent' | 'error', error?: unknown) => void;
}

export const objectKey = (o: k8s.KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

class GoneError extends Error {}

/** Restarts after an error: 0.8 s doubling to 30 s, jittered (client-go's reflector backoff). */
const WATCH_BACKOFF = { baseMs: 800, maxMs: 30_000 };

export class Watcher<T extends k8s.KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private readonly options: WatcherOptions<T>;
  private readonly watch: k8s.Watch;
  private resourceVersion: string | undefined;
  private running: Promise<void> | undefined;
  private synced: Promise<void> | undefined;
  private abort = new AbortController();
  /** Cut the current watch connection as a network failure would (tests, diagnostics). */
  dropConnection: () => void = () => undefined;
  state: WatcherState = 'Stopped';

  constructor(options: WatcherOptions<T>) {
    this.options = options;
    this.watch = new k8s.Watch(options.kubeConfig);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  values(): T[] {
    return [...this.cache.values()];
  }

  /** The resourceVersion the next watch resumes from. */
  get lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  /** Make the next resume start from this resourceVersion (tests: force a 410 Gone). */
  resumeFrom(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
  }

  /** Start (once); resolves when the first list has filled the cache. */
  start(): Promise<void> {
    if (this.synced) return this.synced;
    this.abort = new AbortController();
    let markSynced!: () => void;
    this.synced = new Promise((resolve) => { markSynced = resolve; });
    this.running = this.run(markSynced);
    return this.synced;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = undefined;
    this.synced = undefined;
    this.state = 'Stopped';
  }

  private async run(markSynced: () => void): Promise<void> {
    const { logger } = this.options;
    let needList = true;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          this.state = 'Listing';
          await this.relist();
          markSynced();
          needList = false;
        }
        this.state = 'Watching';
        const outcome = await this.watchOnce();
        failures = 0;
        if (outcome === 'silent') {
          this.restarted('silent');
          needList = true;
        }
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (err instanceof GoneError) {
          logger.info(this.logFields(), 'resourceVersion expired (410 Gone): relisting');
          this.restarted('gone');
          needList = true;
          continue;
        }
        failures += 1;
        this.restarted('error', err);
        const delay = jittered(backoffDelay(failures - 1, WATCH_BACKOFF));
        logger.warn({ ...this.logFields(), err: String(err), delayMs: delay, failures }, 'watch failed; restarting after backoff');
        this.state = 'Backoff';
        await sleep(delay, this.abort.signal);
        // A failed list leaves needList set; a failed watch resumes from the last resourceVersion.
      }
    }
    this.state = 'Stopped';
  }

  /** Which watch a log line is about: one informer per namespace shares a name, so its path too. */
  private logFields(): { watcher: string; path: string } {
    return { watcher: this.options.name, path: this.options.path };
  }

  private restarted(reason: 'gone' | 'silent' | 'error', error?: unknown): void {
    this.options.onRestart?.(reason, error);
  }

  private async relist(): Promise<void> {
    const list = await this.options.list();
    const seen = new Set<string>();
    for (const listed of list.items) {
      const item = this.options.transform ? this.options.transform(listed) : listed;
      // Typed list calls drop apiVersion/kind from items; objectKey only needs metadata.
      const key = objectKey(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.cache.set(key, item);
      if (!previous) this.options.onEvent('ADDED', item);
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.options.onEvent('MODIFIED', item);
    }
    for (const [key, item] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.options.onEvent('DELETED', item);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion;
  }

  /** One watch request: resolves 'closed' (server timeout: resume) or 'silent'; rejects on error or 410. */
  private watchOnce(): Promise<'closed' | 'silent'> {
    const silenceMs = this.options.silenceMs ?? 5 * 60_000;
    return new Promise((resolve, reject) => {
      let settled = false;
      let lastActivity = Date.now();
      const controllerBox: { c?: AbortController } = {};
      this.dropConnection = () => controllerBox.c?.abort();
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        this.abort.signal.removeEventListener('abort', onStop);
        controllerBox.c?.abort();
        fn();
      };
      const onStop = () => finish(() => resolve('closed'));
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      const watchdog = setInterval(() => {
        if (Date.now() - lastActivity > silenceMs) {
          this.options.logger.warn({ ...this.logFields(), silenceMs }, 'watch silent: relisting');
          finish(() => resolve('silent'));
        }
      }, Math.min(silenceMs, 5_000));
      watchdog.unref();
      // stop() may have come while the list before this watch was in flight: an aborted signal
      // fires no more 'abort' events, and waiting for one would hang until the watchdog.
      if (this.abort.signal.aborted) return onStop();
      // Servers end a watch after timeoutSeconds; a random 5–10 min spreads reconnects (client-go).
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      const params: Record<string, string | number | boolean | undefined> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      };
      this.watch
        .watch(this.options.path, params, (phase, received: T & { code?: number; metadata?: { resourceVersion?: string } }) => {
          lastActivity = Date.now();
          if (settled) return;
          if (phase === 'ERROR') {
            const status = received as unknown as { code?: number; message?: string };
            finish(() => reject(status.code === 410 ? new GoneError(status.message ?? 'Gone') : new Error(`watch error ${status.code}: ${status.message}`)));
            return;
          }
          const rv = received.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (phase === 'BOOKMARK') return;
          const object = this.options.transform ? this.options.transform(received) : received;
          const key = objectKey(object);
          if (phase === 'DELETED') {
            this.cache.delete(key);
            this.options.onEvent('DELETED', object);
          } else if (phase === 'ADDED' || phase === 'MODIFIED') {
            const type = this.cache.has(key) ? 'MODIFIED' : 'ADDED';
            this.cache.set(key, object);
            this.options.onEvent(type, object);
          }
        }, (err: unknown) => {
          if (!err) return finish(() => resolve('closed'));
          const code = (err as { statusCode?: number }).statusCode;
          finish(() => reject(code === 410 ? new GoneError('Gone') : err));
        })
        .then((c) => {
          controllerBox.c = c;
          if (settled) c.abort();
        }, (err: unknown) => finish(() => reject(err)));
    });
  }
}

/**
 * One informer over a list of namespaces: a Watcher per namespace (a namespaced LIST/WATCH,
 * which a RoleBinding there grants), read as one cache; or one cluster-wide Watcher when the
 * list is empty. Keys are namespace/name, so the namespaces' caches never overlap.
 */
export class Informer<T extends k8s.KubernetesObject> {
  private readonly watchers: Watcher<T>[];

  /** options(namespace) describes the Watcher of one namespace, or of all when undefined. */
  constructor(namespaces: readonly string[], options: (namespace: string | undefined) => WatcherOptions<T>) {
    const scopes = namespaces.length > 0 ? namespaces : [undefined];
    this.watchers = scopes.map((namespace) => new Watcher(options(namespace)));
  }

  get(key: string): T | undefined {
    for (const w of this.watchers) {
      const found = w.get(key);
      if (found) return found;
    }
    return undefined;
  }

  values(): T[] {
    return this.watchers.flatMap((w) => w.values());
  }

  /** Resolves when every namespace's first list has filled its cache. */
  async start(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()));
  }
}

/** The collection path of a resource, in one namespace or across all: `/apis/apps/v1` + `/deployments`. */
export const collectionPath = (prefix: string, plural: string, namespace: string | undefined): string =>
  `${prefix}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
