/** Progress lines while the load runs: phase, users, request rate and outcomes so far. */
import type { RequestRecord } from './records.js';
import { phaseAt, type UserSchedule } from './schedule.js';

export class Progress {
  private lastAt = 0;
  private lastCount = 0;
  private success = 0;
  private shed = 0;
  private errors = 0;
  private total = 0;

  constructor(private readonly schedule: UserSchedule, private readonly write: (line: string) => void) {}

  record(r: RequestRecord): void {
    this.total++;
    if (r.outcome === 'success') this.success++;
    else if (r.outcome === 'shed') this.shed++;
    else this.errors++;
  }

  /** One line: the window's request rate, and the run's outcomes so far. */
  line(t: number, activeUsers: number, inFlight: number): string {
    const rate = t > this.lastAt ? (this.total - this.lastCount) / (t - this.lastAt) : 0;
    this.lastAt = t;
    this.lastCount = this.total;
    const share = (n: number) => (this.total === 0 ? '—' : `${((n / this.total) * 100).toFixed(2)}%`);
    const width = String(this.schedule.durationSeconds).length;
    const phase = phaseAt(this.schedule, t)?.name ?? '';
    return `[${String(Math.floor(t)).padStart(width)}/${this.schedule.durationSeconds} s] ${phase.padEnd(10)} users ${String(activeUsers).padStart(3)} · ${rate.toFixed(1).padStart(6)} req/s · in flight ${String(inFlight).padStart(3)} · ${this.total} answers: success ${share(this.success)}, shed ${share(this.shed)}, errors ${share(this.errors)}`;
  }

  print(t: number, activeUsers: number, inFlight: number): void {
    this.write(this.line(t, activeUsers, inFlight));
  }
}
