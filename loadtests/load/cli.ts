/**
 * The load runner's entry point: `node --import tsx loadtests/load/cli.ts burst --time-scale 0.25`
 * (what `make load` runs). Prints progress while the load runs, then the summary, the
 * measured-vs-simulated table and where the report is. Ctrl-C stops the users, waits for the
 * answers still out, restores the fake providers and still writes the (partial) report.
 */
import { isPlimsollError } from '../../src/plimsoll/errors.js';
import { LoadTestError } from './errors.js';
import { parseLoadArgs, usage } from './options.js';
import { runLoadTest } from './run.js';
import { summaryText } from './summary-text.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseLoadArgs(process.argv.slice(2), log);
  if (options === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`${signal}: finishing the run early (again to quit at once; faults may then stay applied)`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { report, dir } = await runLoadTest({ ...options, signal: controller.signal });
  process.stdout.write(summaryText(report));
  process.stdout.write(`\nreport: ${dir}/report.html (open it in a browser)\n        ${dir}/report.json\n`);
  return report.run.interrupted ? 130 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  if (error instanceof LoadTestError) log(`load test failed (${error.code}): ${error.message}`);
  else if (isPlimsollError(error)) log(`load test failed: ${error.describe()}`);
  else log(`load test failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
