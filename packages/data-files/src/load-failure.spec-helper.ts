import { DataSource, isUserInputError } from '@mmfuse/core';

/** The message of the UserInputError that loading gives (any other outcome fails the test). */
export async function loadFailure(source: DataSource): Promise<string> {
  const error = await source.load().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isUserInputError(error)) throw new Error(`expected a UserInputError, got ${String(error)}`);
  return error.message;
}
