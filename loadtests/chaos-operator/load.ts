/**
 * A constant closed-loop load for the length of one case, through the load runner's own users
 * (autocannon, think time, the seeded tenants' catalog and request mix): the case stops it when
 * its fault has run its course, and reads every answer as it came.
 */
import { discoverCatalog, readKeys } from '../load/catalog.js';
import type { RequestRecord } from '../load/records.js';
import type { UserSchedule } from '../load/schedule.js';
import { driveUsers } from '../load/users.js';
import { Workload, type TenantCatalog } from '../load/workload.js';

export interface LoadSettings {
  target: string;
  keysFile: string;
  users: number;
  thinkTimeSeconds: number;
  timeoutSeconds: number;
  analysisShare: number;
}

/** The tenants' resumes, jobs and stored analyses, read once for the whole run. */
export async function catalog(s: LoadSettings): Promise<TenantCatalog[]> {
  return discoverCatalog(s.target, await readKeys(s.keysFile), { maxAnalyses: 2000 });
}

/** A constant schedule longer than any case; the case aborts it. */
function constant(users: number, thinkTimeSeconds: number): UserSchedule {
  const durationSeconds = 4 * 3600;
  return { users: new Array<number>(durationSeconds).fill(users), phases: [{ name: 'constant', start: 0, end: durationSeconds }], maxUsers: users, durationSeconds, thinkTimeSeconds, notes: [] };
}

export function startLoad(s: LoadSettings, tenants: TenantCatalog[], clock: () => number, seed: number): { records: RequestRecord[]; stop(): Promise<void> } {
  const records: RequestRecord[] = [];
  const workload = new Workload(tenants, { analysisShare: s.analysisShare, cacheHitRatio: 0.5, resultReadShare: 0.5, deadlineSeconds: 60 }, seed);
  const handle = driveUsers({
    target: s.target, schedule: constant(s.users, s.thinkTimeSeconds), workload, timeoutSeconds: s.timeoutSeconds, seed, clock,
    onRecord: (r) => records.push(r),
  });
  return {
    records,
    stop: async () => {
      handle.abort('the case ended');
      await handle.done;
    },
  };
}
