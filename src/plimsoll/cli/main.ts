import { runProgram, type CliIo, type CliProgram } from '../shared/command-line.js';
import { commands } from './commands/index.js';

export const plimsollProgram: CliProgram = {
  name: 'plimsoll',
  about: [
    'plimsoll — keeps a service above its load line: replicas, database pools, provider concurrency',
    'and service level, decided together.',
  ],
  commands,
};

export function main(argv: string[], io: CliIo): Promise<number> {
  return runProgram(plimsollProgram, argv, io);
}
