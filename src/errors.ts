/** Typed errors with a stable code, a message that names the fix, and the exit code the CLI uses. */

export const ERRORS = {
  TARGET_NOT_FOUND: { exit: 2, meaning: 'The target descriptor file does not exist or cannot be read.', fix: 'Check the path given to --target.' },
  TARGET_PARSE: { exit: 2, meaning: 'The target descriptor is not valid YAML or JSON.', fix: 'Fix the syntax at the position the message gives.' },
  TARGET_INVALID: { exit: 2, meaning: 'A field of the target descriptor is missing or has the wrong value.', fix: 'Set the field the message names as it says; see schemas/target.schema.json.' },
  TARGET_UNREACHABLE: { exit: 3, meaning: 'An endpoint of the target does not answer.', fix: 'Start the hub, or correct the endpoint in the descriptor.' },
  HUB_START: { exit: 3, meaning: 'The embedded reference hub could not start.', fix: 'Read the cause; a port in use or a bad --data file are the usual ones.' },
  BAD_OPTION: { exit: 2, meaning: 'A command-line option has a value hubcheck cannot use.', fix: 'Use the value the message suggests; --help lists every option.' },
  NO_TESTS: { exit: 2, meaning: 'The run selected no test.', fix: 'Loosen --only; hubcheck list shows what exists.' },
  SELFTEST_MISSED: { exit: 1, meaning: 'A fault switched on in the reference hub was not caught by any test.', fix: 'Add or repair the test for the requirement the fault breaks.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class HubcheckError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubcheckError';
    this.code = code;
    this.exitCode = ERRORS[code].exit;
  }
}
