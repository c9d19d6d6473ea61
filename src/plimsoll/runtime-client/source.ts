/** What a channel delivers: the document's text, or why there is none (missing, deleted, API error). */
export interface RuntimeUpdate {
  /** The channel, for health and logs (`configmap:ns/name`, `file:/path`). */
  source: string;
  text?: string;
  error?: Error;
}

/** A channel delivering runtime documents: a ConfigMap, a file. */
export interface RuntimeSource {
  readonly description: string;
  /** Starts delivering; resolves once the first outcome (a document or an error) was delivered. */
  start(onUpdate: (update: RuntimeUpdate) => void): Promise<void>;
  stop(): Promise<void>;
}
