/**
 * The service level every response reports (header X-Service-Level and field serviceLevel).
 * One place decides it: part 2 replaces the static source with the runtime document plus the
 * replica's own emergency level; everything else only calls current().
 */
export const SERVICE_LEVELS = ['Full', 'Reduced', 'Basic', 'Maintenance'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

export interface ServiceLevelSource {
  current(): ServiceLevel;
}

export class StaticServiceLevel implements ServiceLevelSource {
  constructor(private level: ServiceLevel = 'Full') {}
  current(): ServiceLevel {
    return this.level;
  }
  set(level: ServiceLevel): void {
    this.level = level;
  }
}

/** matcher_service_level's value: 0 Full, 1 Reduced, 2 Basic, 3 Maintenance. */
export function serviceLevelValue(level: ServiceLevel): number {
  return SERVICE_LEVELS.indexOf(level);
}
