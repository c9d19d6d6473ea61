#!/usr/bin/env node
// The `matcher` executable, the matcher image's entrypoint: hands the command line to main and exits with its code.
// Exits explicitly: a server that failed to start (its address not available) still holds timers
// and sockets (the runtime watcher, Redis), and must not linger as a process that serves nothing.
import { main } from './main.js';

process.exit(await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
