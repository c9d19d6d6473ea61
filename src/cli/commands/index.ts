import type { CliCommand } from '../command.js';
import { migrateCommand } from './migrate.js';
import { crdCommand } from './crd.js';
import { validateCommand } from './validate.js';

/** Every `plimsoll` subcommand, in the order `plimsoll --help` lists them. */
export const commands: CliCommand[] = [validateCommand, crdCommand, migrateCommand];
