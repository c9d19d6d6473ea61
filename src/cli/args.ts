import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PlimsollError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into USAGE errors that name the command. */
export function parseCommandLine<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlimsollError('USAGE', `${reason}. Run \`plimsoll ${command} --help\`.`);
  }
}

/** The options of a command that takes no arguments: any argument is a USAGE error. */
export function parseOptions<T extends Options>(command: string, argv: string[], options: T) {
  const { values, positionals } = parseCommandLine(command, argv, options);
  if (positionals.length > 0) throw new PlimsollError('USAGE', `unexpected argument ${positionals[0]}. Run \`plimsoll ${command} --help\`.`);
  return values;
}
