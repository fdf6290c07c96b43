import { UserInputError } from '@mmfuse/core';
import { lastAtOrBefore } from '@mmfuse/data';
import { CSI_USED_SUBCARRIERS, SnifferCsi } from './robomnist-csi';

/** What a CSI stream that does not line up with the kinematics gives: an error, or a warning and the best alignment there is. */
export type CsiAlignmentPolicy = 'error' | 'warn';

export interface CsiAlignmentOptions {
  policy: CsiAlignmentPolicy;
  /** Longest stretch at the start or end of the kinematics without CSI, in seconds, before it counts as not covered. */
  maxGapSeconds: number;
}

/** Index of the last row with timestamp ≤ t (the first row when t precedes them all). */
export function rowAtOrBefore(timestamps: Float64Array, t: number): number {
  return Math.max(0, lastAtOrBefore(timestamps, t));
}

const seconds = (ns: number) => `${(ns / 1e9).toFixed(3)} s`;

/** The sniffer's rows in time order (a stable sort), for the `warn` policy. */
function sortedByTime(s: SnifferCsi): SnifferCsi {
  const order = Array.from(s.timestampsNs.keys()).sort((a, b) => s.timestampsNs[a] - s.timestampsNs[b] || a - b);
  const amplitudes = new Float32Array(s.amplitudes.length);
  order.forEach((from, to) => amplitudes.set(s.amplitudes.subarray(from * CSI_USED_SUBCARRIERS, (from + 1) * CSI_USED_SUBCARRIERS), to * CSI_USED_SUBCARRIERS));
  return { ...s, timestampsNs: Float64Array.from(order, (r) => s.timestampsNs[r]), amplitudes, rss: Float32Array.from(order, (r) => s.rss[r]) };
}

/**
 * Which CSI row each kinematics frame gets (the latest at or before it), after checking that the
 * sniffer's rows are in time order, share the kinematics' clock and cover their span within
 * `maxGapSeconds` at either end. Under the `error` policy a failed check is an error naming the
 * file, the sniffer and the times; under `warn` it is a warning (rows sorted, the nearest row
 * held), and the alignment goes on.
 */
export function alignCsi(file: string, sniffer: SnifferCsi, frameTimesNs: Float64Array, options: CsiAlignmentOptions, warnings: string[]): { sniffer: SnifferCsi; rows: Int32Array } {
  const where = `${file}: sniffer module_number ${sniffer.module}`;
  const relax = options.policy === 'error' ? '; set data.csiAlignment to "warn" to train on it anyway' : '';
  const problem = (text: string, warning: string) => {
    if (options.policy === 'error') throw new UserInputError(`${where}: ${text}${relax}`);
    warnings.push(`${where}: ${text}; ${warning}`);
  };
  let s = sniffer;
  const stamps = s.timestampsNs;
  if (stamps.length === 0) throw new UserInputError(`${where}: no CSI rows`);
  const back = stamps.findIndex((t, r) => r > 0 && t < stamps[r - 1]);
  if (back > 0) {
    problem(`time_stamp_ns goes back at row ${back} (${stamps[back]} after ${stamps[back - 1]}); CSI rows must be in time order`, 'its rows were sorted by time');
    s = sortedByTime(s);
  }
  const first = s.timestampsNs[0];
  const last = s.timestampsNs[s.timestampsNs.length - 1];
  const start = frameTimesNs[0];
  const end = frameTimesNs[frameTimesNs.length - 1];
  const gap = options.maxGapSeconds * 1e9;
  if (last < start || first > end) {
    problem(
      `its rows (${first} to ${last} ns) do not overlap the kinematics (${start} to ${end} ns): another clock or unit?`,
      `every frame holds its ${last < start ? 'last' : 'first'} row`,
    );
  } else {
    if (first - start > gap) problem(`CSI starts ${seconds(first - start)} after the kinematics (more than data.csiMaxGapSeconds, ${options.maxGapSeconds} s)`, `the frames before it hold its first row`);
    if (end - last > gap) problem(`CSI ends ${seconds(end - last)} before the kinematics (more than data.csiMaxGapSeconds, ${options.maxGapSeconds} s)`, `the frames after it hold its last row`);
  }
  const rows = Int32Array.from(frameTimesNs, (t) => rowAtOrBefore(s.timestampsNs, t));
  return { sniffer: s, rows };
}
