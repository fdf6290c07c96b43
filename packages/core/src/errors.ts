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

/** What each system error that the environment (not mmfuse, not the input) causes asks of the user. */
const ENVIRONMENT_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free space there (or write elsewhere with --out) and run again — an interrupted run continues with --resume',
  EDQUOT: 'the disk quota is used up; free space there (or write elsewhere with --out) and run again — an interrupted run continues with --resume',
  EROFS: 'the file system is read-only; write somewhere writable (--out)',
  EACCES: 'permission denied; write somewhere this user may write (--out), or change the folder\'s permissions',
  EPERM: 'operation not permitted; write somewhere this user may write (--out)',
};

/**
 * A system error caused by the environment (a full disk, a read-only mount, missing permission)
 * becomes a UserInputError naming `path` and what to do; any other error is returned unchanged.
 */
export function environmentError(path: string, error: unknown): unknown {
  if (isUserInputError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const advice = code ? ENVIRONMENT_ERRORS[code] : undefined;
  return advice ? new UserInputError(`${path}: ${advice} (${code})`) : error;
}

/** Whether `error` is a system error the environment caused (see environmentError). */
export function isEnvironmentErrorCode(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && code in ENVIRONMENT_ERRORS;
}
