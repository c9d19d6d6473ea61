/**
 * A scenario's load phases as a per-second schedule of closed-loop users. Ramps interpolate the
 * way the simulator's `arrivalsFor` does (from at the phase's first second, to at its last), so
 * both sides of the comparison see the same load shape; the real run rounds to whole users.
 */
import type { Scenario } from '../../src/plimsoll/simulator/scenario.js';

export interface PhaseWindow {
  name: string;
  start: number;
  end: number;
}

export interface UserSchedule {
  /** Users that should be active during second t (index t). */
  users: number[];
  phases: PhaseWindow[];
  maxUsers: number;
  durationSeconds: number;
  thinkTimeSeconds: number;
  /** Open-loop phases (arrivalRate) driven as closed-loop users, reported so nobody is misled. */
  notes: string[];
}

export function userSchedule(scenario: Scenario): UserSchedule {
  const think = scenario.load.thinkTimeSeconds;
  const users: number[] = [];
  const phases: PhaseWindow[] = [];
  const notes: string[] = [];
  let start = 0;
  scenario.load.phases.forEach((phase, index) => {
    const name = phase.name ?? `phase ${index + 1}`;
    const shape = phase.users ?? phase.arrivalRate!;
    let [from, to] = typeof shape === 'number' ? [shape, shape] : [shape.from, shape.to];
    if (phase.users === undefined) {
      // A closed-loop user at think time Z sends ~1/Z requests per second while latency is small.
      notes.push(`phase "${name}" sets arrivalRate ${from}→${to} req/s; driven as ${from * think}→${to * think} closed-loop users (rate × think time ${think} s)`);
      from *= think;
      to *= think;
    }
    for (let i = 0; i < phase.durationSeconds; i++) {
      const level = from + ((to - from) * i) / Math.max(1, phase.durationSeconds - 1);
      users.push(Math.round(level));
    }
    phases.push({ name, start, end: start + phase.durationSeconds });
    start += phase.durationSeconds;
  });
  return { users, phases, maxUsers: users.reduce((m, u) => Math.max(m, u), 0), durationSeconds: users.length, thinkTimeSeconds: think, notes };
}

/** The users due at elapsed second t (clamped to the schedule). */
export function usersAt(schedule: UserSchedule, t: number): number {
  if (schedule.users.length === 0) return 0;
  const i = Math.min(schedule.users.length - 1, Math.max(0, Math.floor(t)));
  return schedule.users[i]!;
}

export function phaseAt(schedule: UserSchedule, t: number): PhaseWindow | undefined {
  return schedule.phases.find((p) => t >= p.start && t < p.end) ?? schedule.phases[schedule.phases.length - 1];
}

/** The mean request rate the simulator assumes for second t (open loop: users / think time). */
export function offeredRate(schedule: UserSchedule, t: number): number {
  return usersAt(schedule, t) / schedule.thinkTimeSeconds;
}
