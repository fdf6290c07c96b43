import { UserInputError } from '@mmfuse/core';
import { alignCsi, rowAtOrBefore } from './robomnist-csi-alignment';
import { CSI_USED_SUBCARRIERS, SnifferCsi } from './robomnist-csi';

/** A sniffer whose row r has amplitude r on every subcarrier, at the given times (ns). */
function sniffer(times: number[]): SnifferCsi {
  const amplitudes = new Float32Array(times.length * CSI_USED_SUBCARRIERS);
  times.forEach((_, r) => amplitudes.fill(r, r * CSI_USED_SUBCARRIERS, (r + 1) * CSI_USED_SUBCARRIERS));
  return { module: 2, timestampsNs: Float64Array.from(times), amplitudes, rss: Float32Array.from(times, () => -40) };
}

const s = 1e9;
/** Kinematics frames at 30 Hz over three seconds. */
const frames = Float64Array.from({ length: 91 }, (_, f) => Math.round((f * s) / 30));
const strict = { policy: 'error' as const, maxGapSeconds: 0.5 };
const lenient = { policy: 'warn' as const, maxGapSeconds: 0.5 };
const csiEvery = (from: number, to: number, step = 0.01 * s) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, r) => from + r * step);

describe('CSI alignment', () => {
  it('gives each frame the latest row at or before it', () => {
    const times = csiEvery(-0.05 * s, 3.05 * s);
    const { rows } = alignCsi('f.json', sniffer(times), frames, strict, []);
    rows.forEach((row, f) => {
      expect(times[row]).toBeLessThanOrEqual(frames[f]);
      expect(row === times.length - 1 || times[row + 1] > frames[f]).toBe(true);
    });
    expect(rowAtOrBefore(Float64Array.from([10, 20, 30]), 5)).toBe(0);
    expect(rowAtOrBefore(Float64Array.from([10, 20, 30]), 20)).toBe(1);
  });

  it('refuses rows out of time order, naming the file, sniffer and row; under warn it sorts them and says so', () => {
    const times = csiEvery(0, 3 * s);
    [times[40], times[41]] = [times[41], times[40]];
    expect(() => alignCsi('f.json', sniffer(times), frames, strict, [])).toThrow(
      new UserInputError(`f.json: sniffer module_number 2: time_stamp_ns goes back at row 41 (${times[41]} after ${times[40]}); CSI rows must be in time order; set data.csiAlignment to "warn" to train on it anyway`),
    );
    const warnings: string[] = [];
    const { sniffer: sorted, rows } = alignCsi('f.json', sniffer(times), frames, lenient, warnings);
    expect(warnings).toEqual([`f.json: sniffer module_number 2: time_stamp_ns goes back at row 41 (${times[41]} after ${times[40]}); CSI rows must be in time order; its rows were sorted by time`]);
    expect(Array.from(sorted.timestampsNs)).toEqual([...times].sort((a, b) => a - b));
    // The rows swapped back: the row now at 40 is the one written at 41.
    expect(sorted.amplitudes[40 * CSI_USED_SUBCARRIERS]).toBe(41);
    expect(rows[frames.length - 1]).toBe(times.length - 1);
  });

  it('refuses CSI on another clock (no overlap with the kinematics)', () => {
    // Kinematics stamped in nanoseconds since 1970, CSI in seconds since 1970: far apart.
    const epoch = 1.7e18;
    const stamped = Float64Array.from(frames, (t) => epoch + t);
    const inSeconds = csiEvery(0, 3 * s).map((t) => (epoch + t) / s);
    expect(() => alignCsi('f.json', sniffer(inSeconds), stamped, strict, [])).toThrow(
      `f.json: sniffer module_number 2: its rows (${inSeconds[0]} to ${inSeconds[inSeconds.length - 1]} ns) do not overlap the kinematics (${stamped[0]} to ${stamped[stamped.length - 1]} ns): another clock or unit?; set data.csiAlignment to "warn" to train on it anyway`,
    );
    const warnings: string[] = [];
    alignCsi('f.json', sniffer(csiEvery(10 * s, 12 * s)), frames, lenient, warnings);
    expect(warnings[0]).toMatch(/do not overlap the kinematics .*; every frame holds its first row$/);
  });

  it('refuses CSI that starts late or ends early by more than the allowed gap, and allows less', () => {
    expect(() => alignCsi('f.json', sniffer(csiEvery(0, 2 * s)), frames, strict, [])).toThrow('f.json: sniffer module_number 2: CSI ends 1.000 s before the kinematics (more than data.csiMaxGapSeconds, 0.5 s); set data.csiAlignment to "warn" to train on it anyway');
    expect(() => alignCsi('f.json', sniffer(csiEvery(0.8 * s, 3 * s)), frames, strict, [])).toThrow('CSI starts 0.800 s after the kinematics');
    const warnings: string[] = [];
    const { rows } = alignCsi('f.json', sniffer(csiEvery(0, 2 * s)), frames, lenient, warnings);
    expect(warnings).toEqual(['f.json: sniffer module_number 2: CSI ends 1.000 s before the kinematics (more than data.csiMaxGapSeconds, 0.5 s); the frames after it hold its last row']);
    expect(rows[frames.length - 1]).toBe(200);
    // 0.4 s uncovered at the end is within the default 0.5 s.
    expect(() => alignCsi('f.json', sniffer(csiEvery(0, 2.6 * s)), frames, strict, [])).not.toThrow();
  });
});
