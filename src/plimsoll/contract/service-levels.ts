/**
 * The service levels, mildest first. The order is part of the contract: the engine escalates
 * along it, a replica runs the more degraded of the cluster's level and its own, and gauges
 * (`plimsoll_service_level`, `matcher_service_level`) export a level as its rank.
 */
export const SERVICE_LEVELS = ['Full', 'Reduced', 'Basic', 'Maintenance'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

/** 0 Full, 1 Reduced, 2 Basic, 3 Maintenance. */
export const levelRank = Object.fromEntries(SERVICE_LEVELS.map((level, rank) => [level, rank])) as Readonly<Record<ServiceLevel, number>>;

/** The more degraded of two levels. */
export function moreDegraded(a: ServiceLevel, b: ServiceLevel): ServiceLevel {
  return levelRank[a] >= levelRank[b] ? a : b;
}

/** The level of a rank, clamped to the known ones (a rank averaged over replicas rounds to one). */
export function levelAtRank(rank: number): ServiceLevel {
  return SERVICE_LEVELS[Math.min(SERVICE_LEVELS.length - 1, Math.max(0, Math.round(rank)))]!;
}

/** Whether a label value names a level (a metric's `level` label, read back from Prometheus). */
export function isServiceLevel(value: unknown): value is ServiceLevel {
  return typeof value === 'string' && (SERVICE_LEVELS as readonly string[]).includes(value);
}
