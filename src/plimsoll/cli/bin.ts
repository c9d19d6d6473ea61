#!/usr/bin/env node
// The `plimsoll` executable: hands the command line to main and exits with its code.
import { exitQuietlyWhenPipeCloses } from '../shared/command-line.js';
import { main } from './main.js';

exitQuietlyWhenPipeCloses(process.stdout);

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
