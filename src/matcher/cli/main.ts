import { runProgram, type CliIo, type CliProgram } from '../../plimsoll/shared/command-line.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';

/** What the matcher's image runs: the service and its migrations (nothing of the test and demo tools in ../dev/). */
export const matcherProgram: CliProgram = {
  name: 'matcher',
  about: ['matcher — resume and job matching, the service Plimsoll governs (through its runtime client).'],
  commands: [serveCommand, migrateCommand],
};

export function main(argv: string[], io: CliIo): Promise<number> {
  return runProgram(matcherProgram, argv, io);
}
