/**
 * Headless Chromium (Debian's `chromium` package; `make test-load` installs it) on a report page:
 * the DOM after the page's scripts ran, and a screenshot. No puppeteer: the two command-line
 * modes are all the test needs, and they keep the test free of a browser-download dependency.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function chromiumBinary(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no Chromium found (tried ${candidates.join(', ')}): install Debian's chromium (make test-load does: apt-get install chromium) or set CHROMIUM`);
  return found;
}

async function chromium(args: string[], page: string): Promise<string> {
  // A throw-away profile: parallel runs must not share (or lock) one.
  const profile = mkdtempSync(join(tmpdir(), 'load-chromium-'));
  try {
    const { stdout } = await run(chromiumBinary(), [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars',
      `--user-data-dir=${profile}`, '--virtual-time-budget=5000', ...args, pathToFileURL(page).href,
    ], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export const dumpDom = (page: string) => chromium(['--dump-dom'], page);

export async function screenshot(page: string, out: string, width: number, height: number): Promise<void> {
  await chromium([`--screenshot=${out}`, `--window-size=${width},${height}`], page);
}
