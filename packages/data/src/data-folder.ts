import { readdirSync, realpathSync } from 'fs';
import { isAbsolute, join, relative } from 'path';
import { UserInputError } from '@mmfuse/core';

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The entries of a folder inside a data set, checked as data: a name holding a control character
 * (a line break, a tab) cannot be shown or matched reliably and is an error, not skipped; an entry
 * whose real path (symbolic links resolved) leaves `root` is an error unless `allowOutside`, so a
 * link can neither pull foreign files in nor put a test episode into training twice.
 */
export function listDataFolder(folder: string, root: string, allowOutside: boolean, option: string): string[] {
  const realRoot = realpathSync(root);
  const names = readdirSync(folder);
  for (const name of names) {
    if (CONTROL.test(name)) throw new UserInputError(`${folder}: holds an entry named ${JSON.stringify(name).slice(0, 120)}, with a control character (line break, tab); rename it`);
  }
  if (!allowOutside) for (const name of names) checkInsideRoot(join(folder, name), realRoot, root, option);
  return names;
}

/** Refuses `path` when its real path leaves the data folder (see listDataFolder). */
export function checkInsideRoot(path: string, realRoot: string, root: string, option: string): void {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return; // missing or a dangling link: whoever opens it names it
  }
  const inside = relative(realRoot, real);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new UserInputError(`${path}: leads to ${real}, outside the data folder ${root}; copy the data in, or set ${option}: true to follow links out of it`);
  }
}
