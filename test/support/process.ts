// Small helpers the tests that run real processes share.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/plimsoll/observability/logger.js';

/** The process exists (signal 0 checks without touching it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A logger that writes nothing: the code under test logs, the test output stays readable. */
export function silentLogger(name: string): Logger {
  return createLogger({ name, level: 'silent', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
}
