import type { CliCommand } from '../command.js';
import { matcherCommand } from './matcher.js';
import { migrateCommand } from './migrate.js';
import { seedCommand } from './seed.js';
import { crdCommand } from './crd.js';
import { validateCommand } from './validate.js';

/** Every `plimsoll` subcommand, in the order `plimsoll --help` lists them. */
export const commands: CliCommand[] = [validateCommand, crdCommand, matcherCommand, migrateCommand, seedCommand];
