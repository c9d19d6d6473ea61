import { explainImpliedSignals } from '../../api/explain-implied.js';
import { impliedSignalInputs } from '../../api/implied-signals.js';
import { validateScalingPolicy } from '../../api/validate.js';
import { KIND, writtenSpecSchema } from '../../api/scaling-policy.js';
import { PlimsollError, isPlimsollError } from '../../errors.js';
import { parseCommandLine } from '../../shared/command-line.js';
import type { CliCommand } from '../../shared/command-line.js';
import { readDocuments } from '../../shared/files.js';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check ScalingPolicy files offline, with the rules the API server enforces',
  usage: `Usage: plimsoll validate [--explain] FILE...

Checks every ScalingPolicy document in each FILE (YAML or JSON, several documents per file
allowed) against the schema and the CEL rules of the CRD. Prints one line per valid policy
and, for an invalid one, every problem with the field it concerns. Documents of other kinds
are skipped with a note.

  --explain   for a policy with spec.standardSignals, also print each signal it implies, as
              the policy would write it (YAML for spec.signals) with what it reads, the
              implied signals the policy overrides, and the providers given implied signals

Exit status: 0 when every policy is valid, 1 when any is invalid or unreadable, 2 on usage errors.
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine('plimsoll validate', argv, { explain: { type: 'boolean', default: false } });
    if (positionals.length === 0) throw new PlimsollError('USAGE', 'name at least one file. Run `plimsoll validate --help`.');
    let failures = 0;
    for (const file of positionals) {
      let documents: unknown[];
      try {
        documents = await readDocuments(file);
      } catch (error) {
        if (!isPlimsollError(error)) throw error;
        io.stderr.write(`${error.describe()}\n`);
        failures++;
        continue;
      }
      let policies = 0;
      for (const [index, document] of documents.entries()) {
        const kind = (document as { kind?: unknown }).kind;
        const where = documents.length > 1 ? `${file}#${index + 1}` : file;
        if (kind !== KIND) {
          io.stdout.write(`${where}: skipped (kind ${JSON.stringify(kind ?? null)}, not ${KIND})\n`);
          continue;
        }
        policies++;
        const result = validateScalingPolicy(document);
        const name = (document as { metadata?: { name?: unknown } }).metadata?.name ?? '(unnamed)';
        if (result.valid) {
          const count = impliedSignalInputs(result.policy.spec).length;
          const implied = count > 0 && !values.explain ? `; spec.standardSignals implies ${count} signals (--explain lists them)` : '';
          io.stdout.write(`${where}: ScalingPolicy ${String(name)} is valid${implied}\n`);
          if (values.explain) {
            // The spec as written: the explanation tells implied signals from the policy's own.
            const written = writtenSpecSchema.parse((document as { spec: unknown }).spec);
            for (const line of explainImpliedSignals(written)) io.stdout.write(`  ${line}\n`);
          }
        } else {
          failures++;
          io.stderr.write(`${where}: ScalingPolicy ${String(name)} is invalid (POLICY_INVALID):\n`);
          for (const problem of result.problems) io.stderr.write(`  - ${problem.path}: ${problem.message}\n`);
        }
      }
      if (policies === 0 && documents.length === 0) {
        io.stderr.write(`${file}: holds no documents\n`);
        failures++;
      }
    }
    return failures === 0 ? 0 : 1;
  },
};
