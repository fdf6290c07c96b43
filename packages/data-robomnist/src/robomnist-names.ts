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

const STEM = /^Rp(\d+)_Ac(\d)_V(high|medium|low)_Ar(\d+)_UNC(\d+)$/;
const FILE = /^(Rp\d+_Ac\d_V(?:high|medium|low)_Ar\d+_UNC\d+)_Rx(\d+|all)_(cam|mic|csi|pos)\.(mp4|wav|json)$/;

/** Parses `Rp01_Ac6_Vhigh_Ar1_UNC187`. */
export function parseStem(stem: string): RoboMnistStem {
  const m = STEM.exec(stem);
  if (!m) throw new UserInputError(`${stem}: not a RoboMNIST repetition name (expected Rp<rep>_Ac<digit>_V<high|medium|low>_Ar<arm>_UNC<uncertainty×100>)`);
  return { stem, repetition: Number(m[1]), digit: Number(m[2]), speed: m[3] as RoboMnistStem['speed'], arm: Number(m[4]), uncertainty: Number(m[5]) / 100 };
}

/** Parses a RoboMNIST file name (`…_Rx1_cam.mp4`, `…_Rxall_pos.json`, …); undefined for other files. */
export function parseFileName(name: string): RoboMnistFile | undefined {
  const m = FILE.exec(name);
  if (!m) return undefined;
  const expected = { cam: 'mp4', mic: 'wav', csi: 'json', pos: 'json' }[m[3] as 'cam' | 'mic' | 'csi' | 'pos'];
  if (m[4] !== expected) return undefined;
  return { ...parseStem(m[1]), receiver: m[2] === 'all' ? 'all' : Number(m[2]), kind: m[3] as RoboMnistFile['kind'] };
}
