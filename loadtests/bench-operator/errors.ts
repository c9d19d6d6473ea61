/** The benchmark's failures, with stable codes (it is a tool of its own, like `make compare`). */
export type BenchErrorCode = 'USAGE' | 'NOT_READY' | 'SETUP_FAILED' | 'OPERATOR_EXITED' | 'KEDA_UNAVAILABLE';

export class BenchError extends Error {
  constructor(readonly code: BenchErrorCode, message: string) {
    super(message);
    this.name = 'BenchError';
  }
}
