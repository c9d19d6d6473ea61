import type { CliCommand } from '../command.js';

/** Every `plimsoll` subcommand, in the order `plimsoll --help` lists them. */
export const commands: CliCommand[] = [];
