/**
 * Loads MuJoCo's official WebAssembly build (`@mujoco/mujoco`) once per process.
 *
 * The package is an ES module; `importEsm` loads it from this CommonJS build.
 */
import { importEsm } from '@mmfuse/core';

/** The few MuJoCo arrays and calls the scenes use (the bindings' own typings are ESM-only). */
export interface MjModel {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly ngeom: number;
  readonly nsensordata: number;
  readonly opt: { timestep: number };
  readonly geom_type: Int32Array;
  readonly geom_size: Float64Array;
  readonly geom_rgba: Float32Array;
  readonly geom_rbound: Float64Array;
  readonly geom_bodyid: Int32Array;
  readonly geom_group: Int32Array;
  readonly dof_damping: Float64Array;
  readonly actuator_gainprm: Float64Array;
  readonly actuator_biasprm: Float64Array;
  readonly jnt_range: Float64Array;
  readonly jnt_qposadr: Int32Array;
  readonly body_mass: Float64Array;
  delete(): void;
}

export interface MjData {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly ctrl: Float64Array;
  readonly time: number;
  readonly sensordata: Float64Array;
  readonly geom_xpos: Float64Array;
  readonly geom_xmat: Float64Array;
  readonly site_xpos: Float64Array;
  readonly site_xmat: Float64Array;
  readonly xpos: Float64Array;
  readonly ncon: number;
  delete(): void;
}

export interface MjBuffer {
  GetView(): Float64Array;
  delete(): void;
}

export interface Mujoco {
  MjModel: { from_xml_string(xml: string): MjModel };
  MjData: new (model: MjModel) => MjData;
  DoubleBuffer: new (length: number) => MjBuffer;
  mj_step(model: MjModel, data: MjData): void;
  mj_forward(model: MjModel, data: MjData): void;
  mj_kinematics(model: MjModel, data: MjData): void;
  mj_comPos(model: MjModel, data: MjData): void;
  mj_jacSite(model: MjModel, data: MjData, jacp: MjBuffer, jacr: MjBuffer | null, site: number): void;
  mj_name2id(model: MjModel, type: number, name: string): number;
}

/** mjtObj values used with mj_name2id. */
export const MJ_OBJ = { body: 1, joint: 3, geom: 5, site: 6, actuator: 19, sensor: 21 } as const;

/** mjtGeom values the renderer understands. */
export const MJ_GEOM = { plane: 0, hfield: 1, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6, mesh: 7 } as const;

let loading: Promise<Mujoco> | undefined;

export function loadMujoco(): Promise<Mujoco> {
  loading ??= importEsm<{ default: () => Promise<Mujoco> }>('@mujoco/mujoco', __filename).then((module) => module.default());
  return loading;
}

/** Compiles MJCF text, turning MuJoCo's loading errors into one readable line. */
export function compileModel(mujoco: Mujoco, xml: string, what: string): MjModel {
  try {
    return mujoco.MjModel.from_xml_string(xml);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${what}: MuJoCo could not compile the scene: ${message.split('\n').slice(0, 2).join(' ')}`);
  }
}
