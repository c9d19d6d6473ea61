#!/usr/bin/env node
// The `plimsoll` executable: hands the command line to main and exits with its code.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
