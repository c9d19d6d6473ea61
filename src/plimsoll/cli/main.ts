import { commands } from './commands/index.js';
import { isPlimsollError } from '../errors.js';
import type { CliIo } from './command.js';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'plimsoll — keeps a service above its load line: replicas, database pools, provider concurrency',
    'and service level, decided together.',
    '',
    'Usage: plimsoll <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `plimsoll <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(overview() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`plimsoll: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isPlimsollError(error)) {
      io.stderr.write(`plimsoll ${name}: ${error.describe()}\n`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    io.stderr.write(`plimsoll ${name}: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return 1;
  }
}
