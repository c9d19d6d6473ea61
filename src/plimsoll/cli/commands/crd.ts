import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CRD_FILE, renderCrdYaml } from '../../api/crd.js';
import { PlimsollError } from '../../errors.js';
import { parseCommandLine } from '../../shared/command-line.js';
import type { CliCommand } from '../../shared/command-line.js';

export const crdCommand: CliCommand = {
  name: 'crd',
  summary: 'print or write the ScalingPolicy CustomResourceDefinition',
  usage: `Usage: plimsoll crd [--out DIR] [--check DIR]

Generates the ScalingPolicy CRD (plimsoll.dev/v1alpha1) from the API's one schema source.

Options:
  --out DIR     write ${CRD_FILE} into DIR instead of printing it
  --check DIR   exit 1 if DIR/${CRD_FILE} differs from the generated CRD
  -h, --help    show this help
`,
  async run(argv, io) {
    const { values } = parseCommandLine('plimsoll crd', argv, { out: { type: 'string' }, check: { type: 'string' } });
    const yaml = renderCrdYaml();
    if (values.check !== undefined) {
      const path = join(values.check, CRD_FILE);
      const committed = await readFile(path, 'utf8').catch(() => '');
      if (committed !== yaml) throw new PlimsollError('CRD_DRIFT', `${path} is not what the schema generates; run \`make crd\` and commit the result`);
      io.stdout.write(`${path} is up to date\n`);
      return 0;
    }
    if (values.out === undefined) {
      io.stdout.write(yaml);
      return 0;
    }
    await mkdir(values.out, { recursive: true });
    const path = join(values.out, CRD_FILE);
    // Write-then-rename: a killed process never leaves a half-written CRD behind.
    await writeFile(`${path}.tmp`, yaml);
    await rename(`${path}.tmp`, path);
    io.stdout.write(`wrote ${path}\n`);
    return 0;
  },
};
