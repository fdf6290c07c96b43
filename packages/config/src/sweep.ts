import { UserInputError } from '@mmfuse/core';

/** A sweep: every combination of `grid`'s values, or the listed `points`; each sets values at JSON paths. */
export interface SweepConfig {
  grid?: Record<string, unknown[]>;
  points?: Array<Record<string, unknown>>;
  /** Worker processes running points at once; `auto` = one per CPU core. */
  workers: 'auto' | number;
}

export interface SweepPoint {
  readonly index: number;
  /** Path → value set at this point, in the order the sweep lists the paths. */
  readonly assignments: Readonly<Record<string, unknown>>;
  /** The experiment config of this point: the sweep's config with the values set and no `sweep`. */
  readonly config: Record<string, unknown>;
}

/** Most points a sweep may expand to; a bigger study belongs in several configs. */
export const MAX_SWEEP_POINTS = 10000;

/** `a.b[0]["c d"]` → ['a', 'b', 0, 'c d']; throws on anything else. */
export function parseJsonPath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  const pattern = /^(?:\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = path;
  while (rest.length > 0) {
    const match = pattern.exec(rest);
    if (!match || (parts.length === 0 && rest.startsWith('.'))) throw new UserInputError(`"${path}" is not a JSON path like training.learningRate or fusions[0].projection`);
    if (match[1] !== undefined) parts.push(match[1]);
    else if (match[2] !== undefined) parts.push(Number(match[2]));
    else parts.push(JSON.parse(match[3]) as string);
    rest = rest.slice(match[0].length);
  }
  if (parts.length === 0) throw new UserInputError('an empty JSON path');
  return parts;
}

/**
 * Sets `value` at `path` in `root` (in place). Every container on the way must exist, and array
 * indices must be in range; the last key of an object may be new (an option left to its default).
 */
export function setAtPath(root: unknown, path: string, value: unknown): void {
  const parts = parseJsonPath(path);
  const shown = (upTo: number) => parts.slice(0, upTo).reduce<string>((text, p) => (typeof p === 'number' ? `${text}[${p}]` : text ? `${text}.${p}` : p), '');
  const step = (node: unknown, part: string | number, at: number): void => {
    if (Array.isArray(node)) {
      if (typeof part !== 'number') throw new UserInputError(`"${path}": ${shown(at)} is an array; index it with [n]`);
      if (part >= node.length) throw new UserInputError(`"${path}": index ${part} is outside ${shown(at)}, which has ${node.length} entries`);
    } else if (typeof part === 'number') throw new UserInputError(`"${path}": ${shown(at)} is not an array`);
  };
  let node = root;
  for (let i = 0; i < parts.length - 1; i++) {
    step(node, parts[i], i);
    const next = (node as Record<string | number, unknown>)[parts[i]];
    if (typeof next !== 'object' || next === null) throw new UserInputError(`"${path}": the config has no object at ${shown(i + 1)}`);
    node = next;
  }
  const last = parts[parts.length - 1];
  step(node, last, parts.length - 1);
  (node as Record<string | number, unknown>)[last] = structuredClone(value);
}

/** The points of a sweep over `config` (a raw config with a `sweep` section). */
export function expandSweep(config: Record<string, unknown>): SweepPoint[] {
  const sweep = config.sweep as SweepConfig | undefined;
  if (!sweep) return [];
  const { sweep: _sweep, ...base } = config;
  let combinations: Array<Record<string, unknown>>;
  if (sweep.grid) {
    combinations = [{}];
    for (const [path, values] of Object.entries(sweep.grid)) {
      combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
      if (combinations.length > MAX_SWEEP_POINTS) throw new UserInputError(`sweep.grid: more than ${MAX_SWEEP_POINTS} points; split the study into several configs`);
    }
  } else combinations = sweep.points ?? [];
  return combinations.map((assignments, index) => {
    const point = structuredClone(base);
    for (const [path, value] of Object.entries(assignments)) {
      try {
        setAtPath(point, path, value);
      } catch (error) {
        const where = sweep.grid ? `sweep.grid[${JSON.stringify(path)}]` : `sweep.points[${index}][${JSON.stringify(path)}]`;
        throw new UserInputError(`${where}: ${(error as Error).message}`);
      }
    }
    return { index, assignments, config: point };
  });
}

/** A short, file-name-safe label of a point's values, e.g. `lambda=1e-06,projection=mlp`. */
export function pointLabel(assignments: Readonly<Record<string, unknown>>): string {
  return Object.entries(assignments)
    .map(([path, value]) => `${String(parseJsonPath(path).filter((p) => typeof p === 'string').pop())}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(',')
    .replace(/[^\w.,=+-]/g, '_')
    .slice(0, 80);
}
