import { UserInputError } from '@mmfuse/core';

/** What a RoboMNIST file name says: the labels live only there. */
export interface RoboMnistStem {
  /** `Rp01_Ac6_Vhigh_Ar1_UNC187`: shared by every file of one repetition. */
  stem: string;
  repetition: number;
  digit: number;
  speed: 'high' | 'medium' | 'low';
  arm: number;
  /** Trajectory uncertainty (UNC187 → 1.87). */
  uncertainty: number;
}

export interface RoboMnistFile extends RoboMnistStem {
  /** `Rx1`…`Rx3` for one receiver/camera/microphone, `Rxall` for files covering all of them. */
  receiver: number | 'all';
  kind: 'cam' | 'mic' | 'csi' | 'pos';
}

// The published names spell medium speed `Vmed` (`Rp21_Ac2_Vmed_Ar1_UNC292`); `Vmedium` is read too.
const STEM = /^Rp(\d+)_Ac(\d)_V(high|med|medium|low)_Ar(\d+)_UNC(\d+)$/;
const FILE = /^(Rp\d+_Ac\d_V(?:high|med|medium|low)_Ar\d+_UNC\d+)_Rx(\d+|all)_(cam|mic|csi|pos)\.(mp4|wav|json)$/;
const SPEEDS: Record<string, RoboMnistStem['speed']> = { high: 'high', med: 'medium', medium: 'medium', low: 'low' };

/** Parses `Rp01_Ac6_Vhigh_Ar1_UNC187`. */
export function parseStem(stem: string): RoboMnistStem {
  const m = STEM.exec(stem);
  if (!m) throw new UserInputError(`${stem}: not a RoboMNIST repetition name (expected Rp<rep>_Ac<digit>_V<high|med|low>_Ar<arm>_UNC<uncertainty×100>)`);
  return { stem, repetition: Number(m[1]), digit: Number(m[2]), speed: SPEEDS[m[3]], arm: Number(m[4]), uncertainty: Number(m[5]) / 100 };
}

/** Parses a RoboMNIST file name (`…_Rx1_cam.mp4`, `…_Rxall_pos.json`, …); undefined for other files. */
export function parseFileName(name: string): RoboMnistFile | undefined {
  const m = FILE.exec(name);
  if (!m) return undefined;
  const expected = { cam: 'mp4', mic: 'wav', csi: 'json', pos: 'json' }[m[3] as 'cam' | 'mic' | 'csi' | 'pos'];
  if (m[4] !== expected) return undefined;
  // Kinematics and CSI cover every receiver (Rxall); each camera and microphone is one (Rx<n>).
  if ((m[2] === 'all') !== (m[3] === 'pos' || m[3] === 'csi')) return undefined;
  return { ...parseStem(m[1]), receiver: m[2] === 'all' ? 'all' : Number(m[2]), kind: m[3] as RoboMnistFile['kind'] };
}

/** A name that starts like a recording (`Rp<n>_…`) with a recording's extension. */
export function looksLikeRecording(name: string): boolean {
  return /^Rp\d+_/.test(name) && /\.(mp4|wav|json|avi|mov|mkv)$/i.test(name);
}

/** Why a name that looks like a recording is not one this loader reads; undefined when it is. */
export function whyNotRecording(name: string): string | undefined {
  if (parseFileName(name)) return undefined;
  const speed = /_V([A-Za-z]+)_/.exec(name)?.[1];
  if (speed !== undefined && !(speed in SPEEDS)) return `speed "V${speed}" is not one of Vhigh, Vmed, Vmedium, Vlow`;
  const kind = /_Rx(?:\d+|all)_([A-Za-z]+)\.([A-Za-z0-9]+)$/.exec(name);
  if (!kind) return 'the name does not end in _Rx<n|all>_<cam|mic|csi|pos>.<ext>';
  const expected: Record<string, string> = { cam: 'mp4', mic: 'wav', csi: 'json', pos: 'json' };
  if (!(kind[1] in expected)) return `"${kind[1]}" is not one of the recorded kinds cam, mic, csi, pos`;
  if (kind[2] !== expected[kind[1]]) return `a ${kind[1]} file is .${expected[kind[1]]}, not .${kind[2]}`;
  const receiver = /_Rx(\d+|all)_[A-Za-z]+\.[A-Za-z0-9]+$/.exec(name)?.[1];
  const shared = kind[1] === 'pos' || kind[1] === 'csi';
  if (shared && receiver !== 'all') return `a ${kind[1]} file covers all receivers (Rxall), not Rx${receiver}`;
  if (!shared && receiver === 'all') return `a ${kind[1]} file belongs to one receiver (Rx1, Rx2, …), not Rxall`;
  return 'the name does not follow Rp<rep>_Ac<digit>_V<speed>_Ar<arm>_UNC<u>_Rx<n|all>_<kind>.<ext>';
}
