/** What every `plimsoll` subcommand provides. One file per command under src/cli/commands/. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CliCommand {
  name: string;
  /** One line for `plimsoll --help`. */
  summary: string;
  /** The full `plimsoll <name> --help` text. */
  usage: string;
  /** Resolves to the process exit code. Throw PlimsollError for user-facing failures. */
  run(argv: string[], io: CliIo): Promise<number>;
}
