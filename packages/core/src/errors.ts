/**
 * An error caused by what the user gave mmfuse (a config, a data file, a plugin), as opposed to
 * a defect in mmfuse. The CLI prints its lines without a stack trace and exits with code 2.
 */
export class UserInputError extends Error {
  readonly lines: string[];

  constructor(lines: string | string[]) {
    const all = Array.isArray(lines) ? lines : [lines];
    super(all.join('\n'));
    this.name = 'UserInputError';
    this.lines = all;
  }
}

export function isUserInputError(error: unknown): error is UserInputError {
  return error instanceof Error && (error as UserInputError).name === 'UserInputError' && Array.isArray((error as UserInputError).lines);
}
