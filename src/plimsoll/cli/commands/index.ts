import type { CliCommand } from '../command.js';
import { fakeProviderCommand } from './fake-provider.js';
import { matcherCommand } from './matcher.js';
import { migrateCommand } from './migrate.js';
import { seedCommand } from './seed.js';
import { crdCommand } from './crd.js';
import { simulateCommand } from './simulate.js';
import { validateCommand } from './validate.js';
import { operatorCommand } from './operator.js';

/** Every `plimsoll` subcommand, in the order `plimsoll --help` lists them. */
export const commands: CliCommand[] = [validateCommand, simulateCommand, crdCommand, matcherCommand, migrateCommand, seedCommand, operatorCommand, fakeProviderCommand];
