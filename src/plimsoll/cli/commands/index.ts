import type { CliCommand } from '../../shared/command-line.js';
import { crdCommand } from './crd.js';
import { simulateCommand } from './simulate.js';
import { validateCommand } from './validate.js';
import { operatorCommand } from './operator.js';

/**
 * Every `plimsoll` subcommand, in the order `plimsoll --help` lists them. The governed service
 * has its own executables: `matcher` (src/matcher/cli/) and `matcher-dev` (src/matcher/dev/).
 */
export const commands: CliCommand[] = [validateCommand, simulateCommand, crdCommand, operatorCommand];
