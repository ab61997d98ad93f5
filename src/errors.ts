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
  KEY_INVALID: { exit: 1, meaning: 'A signing or verification key is missing, unreadable, or not an Ed25519 or ECDSA P-256 key of the kind the command needs.', fix: 'Make a key pair with hubcheck keygen; give certify the private key (--key PREFIX.key) and verify the public one (--key PREFIX.pub).' },
  BUNDLE_INVALID: { exit: 1, meaning: 'The path is not a certification bundle hubcheck can read (no attestation, unreadable JSON).', fix: 'Give the directory hubcheck certify wrote (it holds attestation.sigstore.json), unpacked as published.' },
  BUNDLE_REFUSED: { exit: 1, meaning: 'The bundle is not what was signed: a file changed, is missing or was added, another key signed it, or another suite judged it.', fix: 'Do not trust this bundle; ask the vendor for the published one and the public key it was signed with.' },
  REPORT_INVALID: { exit: 1, meaning: 'A run or bundle given to hubcheck report diff cannot be read.', fix: 'Give a report directory (with results.json), a results.json file, or a certification bundle directory.' },
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
