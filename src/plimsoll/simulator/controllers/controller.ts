import type { Knobs, MatcherModel, Tick } from '../model.js';

/**
 * One way of running the matcher: turns the model's knobs from what it can observe. What the
 * knobs do (level changes included) is measured by the model, the same way for every controller.
 */
export interface Controller {
  readonly name: string;
  readonly initialReplicas: number;
  /** Called every simulated second before the model steps; returns the knobs in force. */
  control(t: number, history: Tick[], model: MatcherModel): Knobs;
}
