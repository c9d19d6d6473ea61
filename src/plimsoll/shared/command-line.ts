import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PlimsollError, isPlimsollError } from '../errors.js';

/**
 * The small framework behind the repository's executables: `plimsoll` (src/plimsoll/cli/), and
 * the governed service's `matcher` (src/matcher/cli/) and `matcher-dev` (src/matcher/dev/).
 * A program is a list of subcommands, one file each.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CliCommand {
  name: string;
  /** One line for `<program> --help`. */
  summary: string;
  /** The full `<program> <name> --help` text. */
  usage: string;
  /** Resolves to the process exit code. Throw PlimsollError for user-facing failures. */
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface CliProgram {
  /** The executable's name, as its usage texts spell it. */
  name: string;
  /** The lines above `Usage:` in `<program> --help`. */
  about: string[];
  /** In the order `<program> --help` lists them. */
  commands: CliCommand[];
}

function overview(program: CliProgram): string {
  const width = Math.max(...program.commands.map((c) => c.name.length));
  const lines = program.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    ...program.about,
    '',
    `Usage: ${program.name} <command> [options]`,
    '',
    'Commands:',
    ...lines,
    '',
    `Run \`${program.name} <command> --help\` for a command's options.`,
  ].join('\n');
}

/**
 * A reader that stops early (`plimsoll validate --explain | head`) closes the pipe, and the next
 * write fails with EPIPE: an unhandled stream error that Node prints as a crash. A command-line
 * filter ends quietly instead, with the status of a process that SIGPIPE ended (128 + 13), as
 * `git log | head` does. Other stream errors are left to crash loudly.
 */
export const CLOSED_PIPE_EXIT_CODE = 141;

export function exitQuietlyWhenPipeCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(CLOSED_PIPE_EXIT_CODE);
  });
}

/** Runs one command line of a program: the subcommand's exit code (2 for usage errors). */
export async function runProgram(program: CliProgram, argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(overview(program) + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = program.commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`${program.name}: unknown command "${name}"\n\n${overview(program)}\n`);
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
      io.stderr.write(`${program.name} ${name}: ${error.describe()}\n`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    io.stderr.write(`${program.name} ${name}: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return 1;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into USAGE errors that name the command ("plimsoll validate"). */
export function parseCommandLine<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlimsollError('USAGE', `${reason}. Run \`${command} --help\`.`);
  }
}

/** The options of a command that takes no arguments: any argument is a USAGE error. */
export function parseOptions<T extends Options>(command: string, argv: string[], options: T) {
  const { values, positionals } = parseCommandLine(command, argv, options);
  if (positionals.length > 0) throw new PlimsollError('USAGE', `unexpected argument ${positionals[0]}. Run \`${command} --help\`.`);
  return values;
}
