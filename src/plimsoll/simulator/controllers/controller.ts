import type { Knobs, MatcherModel, Tick } from '../model.js';

/** One way of running the matcher: turns the model's knobs from what it can observe. */
export interface Controller {
  readonly name: string;
  readonly initialReplicas: number;
  /** Called every simulated second before the model steps; returns the knobs in force. */
  control(t: number, history: Tick[], model: MatcherModel): Knobs & { levelChanges: number };
}
