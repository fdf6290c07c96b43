import { UserInputError } from '@mmfuse/core';
import { readJsonFile } from './read-json-file';

/** One robot of a `…_Rxall_pos.json` file. */
export interface RobotKinematics {
  robot: number;
  /** Nanoseconds from the start of the repetition. */
  timestampsNs: Float64Array;
  /** `[T, 7]` joint angles in radians, row-major. */
  joints: Float32Array;
  /** `[T, 3]` end-effector position in metres. */
  endEffector: Float32Array;
}

function matrix(file: string, where: string, rows: unknown, count: number, width: number): Float32Array {
  if (!Array.isArray(rows)) throw new UserInputError(`${file}: ${where}: expected an array of ${count} rows, got ${typeof rows}`);
  if (rows.length !== count) throw new UserInputError(`${file}: ${where}: ${rows.length} rows, but time_stamp_ns has ${count}`);
  const out = new Float32Array(count * width);
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== width) throw new UserInputError(`${file}: ${where}[${r}]: expected ${width} numbers, got ${Array.isArray(row) ? row.length : typeof row}`);
    row.forEach((v, c) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserInputError(`${file}: ${where}[${r}][${c}]: expected a finite number, got ${JSON.stringify(v)}`);
      out[r * width + c] = v;
    });
  });
  return out;
}

/**
 * Reads RoboMNIST kinematics: a list of robots `{robot_number, time_stamp_ns[T],
 * joint_positions[T][7], EE_positions[T][3]}`. Every problem names the file and the index.
 */
export function readKinematics(file: string): RobotKinematics[] {
  const data = readJsonFile(file);
  if (!Array.isArray(data) || data.length === 0) throw new UserInputError(`${file}: expected a list of robots, got ${Array.isArray(data) ? 'an empty list' : typeof data}`);
  return data.map((entry, i) => {
    const robot = entry as Record<string, unknown>;
    const where = `[${i}]`;
    for (const key of ['robot_number', 'time_stamp_ns', 'joint_positions', 'EE_positions']) {
      if (!(key in (robot ?? {}))) throw new UserInputError(`${file}: ${where}: missing "${key}"`);
    }
    const stamps = robot.time_stamp_ns;
    if (!Array.isArray(stamps) || stamps.length === 0) throw new UserInputError(`${file}: ${where}.time_stamp_ns: expected a non-empty array`);
    const timestampsNs = new Float64Array(stamps.length);
    stamps.forEach((t, r) => {
      if (typeof t !== 'number' || !Number.isFinite(t)) throw new UserInputError(`${file}: ${where}.time_stamp_ns[${r}]: expected a number, got ${JSON.stringify(t)}`);
      if (r > 0 && t <= timestampsNs[r - 1]) throw new UserInputError(`${file}: ${where}.time_stamp_ns[${r}]: timestamps must increase (${t} after ${timestampsNs[r - 1]})`);
      timestampsNs[r] = t;
    });
    return {
      robot: Number(robot.robot_number),
      timestampsNs,
      joints: matrix(file, `${where}.joint_positions`, robot.joint_positions, stamps.length, 7),
      endEffector: matrix(file, `${where}.EE_positions`, robot.EE_positions, stamps.length, 3),
    };
  });
}
