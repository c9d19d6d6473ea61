#!/usr/bin/env node
// The `matcher-dev` executable: the matcher's test and demo tools, the sample data and the
// simulated AI providers. They run on a developer's machine (the local stack, the tests, the
// benchmarks) and are never part of an image: .dockerignore keeps src/matcher/dev/ out of the
// build context, and no other code of src/ imports them.
import { exitQuietlyWhenPipeCloses, runProgram, type CliProgram } from '../../plimsoll/shared/command-line.js';
import { fakeProviderCommand } from './fake-provider.js';
import { seedCommand } from './seed.js';

const program: CliProgram = {
  name: 'matcher-dev',
  about: ['matcher-dev — the matcher\'s test and demo tools (not in any image).'],
  commands: [seedCommand, fakeProviderCommand],
};

exitQuietlyWhenPipeCloses(process.stdout);
process.exitCode = await runProgram(program, process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
