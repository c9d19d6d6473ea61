/**
 * The signal sources the cluster administrator registers (OPERATOR_SIGNAL_SOURCES_FILE, a YAML
 * or JSON file the chart renders from its values into a ConfigMap). A policy names one of these
 * by name, or uses the default; it can never name an address of its own, so creating a
 * ScalingPolicy does not give its author the operator's network reach (issue 16). Read and
 * validated once at start-up with the rest of the operator's configuration.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { PlimsollError } from '../errors.js';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label').max(63);
const httpUrl = z.string().max(512).regex(/^https?:\/\/[^/]+/, 'must be an http:// or https:// URL');

const prometheusServer = z.strictObject({
  name,
  /** Base URL, e.g. http://prometheus.monitoring:9090. */
  address: httpUrl,
  default: z.boolean().default(false),
});

const pgbouncerEndpoint = z.strictObject({
  name,
  host: z.string().min(1).max(253),
  port: z.int().min(1).max(65535).default(6432),
  /** The admin-console user (admin_users or stats_users of PgBouncer). */
  user: z.string().min(1).max(63),
  /**
   * A file holding the user's password: a key of a Secret in the operator's own namespace,
   * mounted into its pod. Read at each connection, so a rotated Secret is picked up.
   */
  passwordFile: z.string().min(1).max(1024),
  default: z.boolean().default(false),
});

/**
 * Health documents are read from the target's own pods (its EndpointSlices). A URL listed here
 * may be named by a health signal's url instead: the administrator vouches for it (a Service, a
 * test double); any other url is refused.
 */
const healthUrl = z.strictObject({ name, url: httpUrl });

const atMostOneDefault = (list: Array<{ default: boolean }>) => list.filter((s) => s.default).length <= 1;
const uniqueNames = (list: Array<{ name: string }>) => new Set(list.map((s) => s.name)).size === list.length;

export const signalSourcesSchema = z.strictObject({
  prometheus: z.array(prometheusServer).max(64).default([])
    .refine(uniqueNames, 'Prometheus server names must be unique').refine(atMostOneDefault, 'at most one Prometheus server may be the default'),
  pgbouncer: z.array(pgbouncerEndpoint).max(64).default([])
    .refine(uniqueNames, 'PgBouncer endpoint names must be unique').refine(atMostOneDefault, 'at most one PgBouncer endpoint may be the default'),
  health: z.array(healthUrl).max(64).default([]).refine(uniqueNames, 'health URL names must be unique'),
});

export type SignalSources = z.output<typeof signalSourcesSchema>;
export type SignalSourcesInput = z.input<typeof signalSourcesSchema>;
export type PrometheusServer = SignalSources['prometheus'][number];
export type PgBouncerEndpoint = SignalSources['pgbouncer'][number];

/** Nothing registered: every prometheus and pgbouncer signal is refused. */
export const NO_SIGNAL_SOURCES: SignalSources = { prometheus: [], pgbouncer: [], health: [] };

/** The file's content (YAML or JSON), unvalidated; an unset path registers nothing. */
export function readSignalSourcesFile(path: string): unknown {
  if (!path) return NO_SIGNAL_SOURCES;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlimsollError('CONFIG_INVALID', `OPERATOR_SIGNAL_SOURCES_FILE ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parse(text) ?? {};
  } catch (err) {
    throw new PlimsollError('CONFIG_INVALID', `OPERATOR_SIGNAL_SOURCES_FILE ${path} is not YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
}
