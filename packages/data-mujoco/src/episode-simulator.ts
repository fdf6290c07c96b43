import { normal, Rng } from '@mmfuse/core';
import { ARM_JOINTS, armSensorChannels, ArmSpec } from './arm-mjcf';
import { solveIk } from './inverse-kinematics';
import { compileModel, MJ_OBJ, MjData, MjModel, Mujoco } from './mujoco-runtime';
import { DEFAULT_RADIO, RadioChannel, RadioOptions, Scatterers } from './radio-channel';
import { GeomScene, RayRenderer } from './ray-renderer';
import { ArmTask, SceneEpisode, Waypoint } from './scenes';

export interface SimulationOptions {
  readonly frames: number;
  readonly frameRate: number;
  /** Sensor rows per second; a whole multiple of the frame rate. */
  readonly sensorRate: number;
  readonly imageSize: number;
  /** Radio channel settings, or null for no radio modality. */
  readonly radio: RadioOptions | null;
  /** Share of the episode the task takes; the rest the arms wait at home. Sets the speed. */
  readonly taskShare: number;
}

export interface EpisodeRecording {
  /** frames × size × size × 3, in [0, 1]. */
  readonly frames: Float32Array;
  /** rows × channels, physical units (rad, rad/s, N·m, m). */
  readonly sensors: Float32Array;
  /** rows × subcarriers, dB; empty without radio. */
  readonly radio: Float32Array;
  readonly sensorChannels: readonly string[];
  /** Seconds from the start at which the process failure began, or null. */
  readonly failureOnset: number | null;
}

interface ArmHandles {
  readonly spec: ArmSpec;
  readonly qpos: number[];
  readonly dof: number[];
  readonly range: [number, number][];
  readonly actuators: number[];
  readonly fingerActuators: number[];
  readonly site: number;
  readonly arcGeom: number;
}

function handles(mujoco: Mujoco, model: MjModel, spec: ArmSpec): ArmHandles {
  const id = (type: number, name: string) => {
    const value = mujoco.mj_name2id(model, type, name);
    if (value < 0) throw new Error(`scene has no ${name}`);
    return value;
  };
  const joints = ARM_JOINTS.map((j) => id(MJ_OBJ.joint, spec.prefix + j));
  const jntQposAdr = (model as unknown as { jnt_qposadr: Int32Array }).jnt_qposadr;
  const jntDofAdr = (model as unknown as { jnt_dofadr: Int32Array }).jnt_dofadr;
  return {
    spec,
    qpos: joints.map((j) => jntQposAdr[j]),
    dof: joints.map((j) => jntDofAdr[j]),
    range: joints.map((j) => [model.jnt_range[2 * j], model.jnt_range[2 * j + 1]]),
    actuators: ARM_JOINTS.map((j) => id(MJ_OBJ.actuator, spec.prefix + j)),
    fingerActuators: spec.tool === 'gripper' ? ['finger_l', 'finger_r'].map((n) => id(MJ_OBJ.actuator, spec.prefix + n)) : [],
    site: id(MJ_OBJ.site, spec.prefix + 'tcp'),
    arcGeom: spec.tool === 'torch' ? id(MJ_OBJ.geom, spec.prefix + 'arc') : -1,
  };
}

/** Smooth start and stop between waypoints (minimum-jerk profile). */
function minimumJerk(s: number): number {
  return s * s * s * (10 + s * (-15 + 6 * s));
}

const wrapQuarterTurn = (a: number) => a - (Math.PI / 2) * Math.round(a / (Math.PI / 2));

/** Joint targets of every waypoint, by inverse kinematics warm-started from the previous one. */
function planJoints(mujoco: Mujoco, model: MjModel, arm: ArmHandles, task: ArmTask): Float64Array[] {
  const scratch = new mujoco.MjData(model);
  try {
    // An elbow-up start keeps every solution on the same branch.
    const start = [0, 0.35, 1.1, 0.15, 0, 0];
    arm.qpos.forEach((adr, i) => (scratch.qpos[adr] = start[i]));
    return task.waypoints.map((w) => {
      const { qpos, error } = solveIk(mujoco, model, scratch, arm.site, arm, { position: w.position, axis: [0, 0, 1] });
      if (error > 0.02) throw new Error(`waypoint (${w.position.map((v) => v.toFixed(2)).join(', ')}) is out of reach of arm "${arm.spec.prefix || 'arm'}" (${(error * 100).toFixed(1)} cm short)`);
      if (w.toolYaw !== undefined) {
        // Gripper yaw about the vertical is base yaw plus tool roll; cubes look the same every quarter turn.
        qpos[5] = wrapQuarterTurn(w.toolYaw - arm.spec.yaw - qpos[0]);
        scratch.qpos[arm.qpos[5]] = qpos[5];
      }
      return qpos;
    });
  } finally {
    scratch.delete();
  }
}

interface Schedule {
  readonly times: number[];
  readonly joints: Float64Array[];
  readonly waypoints: readonly Waypoint[];
}

function segmentAt(schedule: Schedule, t: number): { index: number; s: number } {
  const { times } = schedule;
  if (t <= times[0]) return { index: 0, s: 1 };
  for (let i = 1; i < times.length; i++) {
    if (t < times[i]) return { index: i, s: (t - times[i - 1]) / (times[i] - times[i - 1]) };
  }
  return { index: times.length - 1, s: 1 };
}

/** When each waypoint of a task ends, its motion scaled to last `span` seconds in all. */
function scheduleOf(task: SceneEpisode['tasks'][number], joints: Schedule['joints'], span: number): Schedule {
  const total = task.waypoints.reduce((sum, w) => sum + w.duration, 0);
  const scale = span / Math.max(total, 1e-9);
  const times: number[] = [];
  let t = 0;
  for (const w of task.waypoints) times.push((t += w.duration * scale));
  return { times, joints, waypoints: task.waypoints };
}

/** A random moment inside the failure windows of the first arm's schedule (uniform over their total length). */
function plannedFailureOnset(first: Schedule, rng: Rng): number {
  const windows = first.waypoints.map((w, i) => (w.failureWindow ? [i === 0 ? 0 : first.times[i - 1], first.times[i]] : null)).filter((w): w is number[] => w !== null);
  const total = windows.reduce((s, [a, b]) => s + b - a, 0);
  let pick = rng() * total;
  for (const [a, b] of windows) {
    if (pick <= b - a) return a + pick;
    pick -= b - a;
  }
  return Infinity;
}

/** A worn gearbox: much more friction and a weaker servo on one of the big joints. */
function degradeJoint(model: MjModel, arm: ArmHandles, joint: number): void {
  model.dof_damping[arm.dof[joint]] *= 30;
  const actuator = arm.actuators[joint];
  model.actuator_gainprm[10 * actuator] *= 0.3;
  model.actuator_biasprm[10 * actuator + 1] *= 0.3;
}

/**
 * Sets one arm's servo targets at time t along its schedule (minimum-jerk between waypoints), its
 * gripper (held loosely when `slipping`) and whether its welding arc shows.
 */
function driveArm(arm: ArmHandles, schedule: Schedule, t: number, data: MjData, slipping: boolean, hidden: Set<number>): void {
  const { index, s } = segmentAt(schedule, t);
  const from = schedule.joints[Math.max(0, index - 1)];
  const to = schedule.joints[index];
  const k = minimumJerk(Math.max(0, Math.min(1, s)));
  for (let j = 0; j < arm.actuators.length; j++) data.ctrl[arm.actuators[j]] = from[j] + k * (to[j] - from[j]);
  const waypoint = schedule.waypoints[index];
  if (arm.fingerActuators.length) {
    // A slipping grip: the fingers lose their hold part way through the carry.
    const opening = slipping ? Math.max(waypoint.gripper ?? 0, 0.012) : waypoint.gripper ?? 0;
    for (const actuator of arm.fingerActuators) data.ctrl[actuator] = opening;
  }
  if (arm.arcGeom >= 0) {
    const burning = waypoint.arc === true && s > 0 && s < 1;
    if (burning) hidden.delete(arm.arcGeom);
    else hidden.add(arm.arcGeom);
  }
}

/** Simulates one episode and records camera frames, robot sensors and (optionally) the radio channel. */
export function simulateEpisode(mujoco: Mujoco, episode: SceneEpisode, options: SimulationOptions, rng: Rng): EpisodeRecording {
  const model = compileModel(mujoco, episode.xml, 'scene');
  const data = new mujoco.MjData(model);
  try {
    return record(mujoco, model, data, episode, options, rng);
  } finally {
    data.delete();
    model.delete();
  }
}

function record(mujoco: Mujoco, model: MjModel, data: MjData, episode: SceneEpisode, options: SimulationOptions, rng: Rng): EpisodeRecording {
  const dt = 0.002;
  const duration = (options.frames - 1) / options.frameRate;
  const arms = episode.tasks.map((task) => handles(mujoco, model, task.arm));
  const plans = episode.tasks.map((task, a) => planJoints(mujoco, model, arms[a], task));
  const schedules: Schedule[] = episode.tasks.map((task, a) => scheduleOf(task, plans[a], options.taskShare * duration));
  // Start at rest on the first waypoint.
  arms.forEach((arm, a) =>
    arm.qpos.forEach((adr, j) => {
      data.qpos[adr] = plans[a][0][j];
      data.ctrl[arm.actuators[j]] = plans[a][0][j];
    }),
  );
  mujoco.mj_forward(model, data);

  const channels = episode.tasks.flatMap((task) => armSensorChannels(task.arm));
  const hasObstacle = model.nsensordata > channels.length;
  const rowsPerFrame = Math.round(options.sensorRate / options.frameRate);
  const rows = (options.frames - 1) * rowsPerFrame + 1;
  const sensors = new Float32Array(rows * channels.length);
  const size = options.imageSize;
  const frames = new Float32Array(options.frames * size * size * 3);
  const subcarriers = options.radio?.subcarriers ?? 0;
  const radio = new Float32Array(rows * subcarriers);

  let failureOnset: number | null = null;
  const failure = episode.failure;
  const plannedOnset = failure && failure !== 'collision' ? plannedFailureOnset(schedules[0], rng) : Infinity;
  const degradedJoint = 1 + Math.floor(rng() * 3);

  const renderer = new RayRenderer(size, size, episode.camera);
  const hidden = new Set<number>();
  const emissive = new Set<number>(arms.filter((a) => a.arcGeom >= 0).map((a) => a.arcGeom));
  const geoms: GeomScene = {
    count: model.ngeom,
    type: model.geom_type,
    size: model.geom_size,
    rgba: model.geom_rgba,
    position: data.geom_xpos,
    rotation: data.geom_xmat,
    boundingRadius: model.geom_rbound,
    emissive,
    hidden,
  };
  const moving = Int32Array.from({ length: model.ngeom }, (_, g) => g).filter((g) => model.geom_bodyid[g] > 0 && !emissive.has(g) && model.geom_rgba[4 * g + 3] > 0);
  const scatterers: Scatterers & { position: Float64Array } = { count: moving.length, position: new Float64Array(3 * moving.length), radius: Float64Array.from(moving, (g) => Math.min(model.geom_rbound[g], 0.12)) };
  const channel = options.radio ? new RadioChannel(episode.radio.transmitter, episode.radio.receiver, episode.reflectors, options.radio ?? DEFAULT_RADIO) : null;
  const noise = () => normal(rng);

  const stepsPerRow = 1 / (options.sensorRate * dt);
  const totalSteps = Math.round((rows - 1) * stepsPerRow);
  let nextRow = 0;
  for (let step = 0; step <= totalSteps; step++) {
    const t = step * dt;
    if (!failureOnset && t >= plannedOnset) {
      failureOnset = t;
      if (failure === 'joint-degradation') degradeJoint(model, arms[0], degradedJoint);
    }
    const slipping = failure === 'object-slip' && failureOnset !== null;
    arms.forEach((arm, a) => driveArm(arm, schedules[a], t, data, slipping && a === 0, hidden));
    if (step >= Math.round(nextRow * stepsPerRow)) {
      const row = nextRow++;
      // After mj_step the kinematics and sensors describe the state the step started from: 2 ms late, consistently for every modality.
      const sd = data.sensordata;
      for (let c = 0; c < channels.length; c++) sensors[row * channels.length + c] = sd[c];
      if (failure === 'collision' && failureOnset === null && hasObstacle && sd[model.nsensordata - 1] > 0.5) failureOnset = t;
      if (channel) {
        for (let i = 0; i < moving.length; i++) {
          const g = moving[i];
          scatterers.position[3 * i] = data.geom_xpos[3 * g];
          scatterers.position[3 * i + 1] = data.geom_xpos[3 * g + 1];
          scatterers.position[3 * i + 2] = data.geom_xpos[3 * g + 2];
        }
        channel.measure(scatterers, radio, row * subcarriers, noise);
      }
      if (row % rowsPerFrame === 0) renderer.render(geoms, frames, (row / rowsPerFrame) * size * size * 3);
    }
    if (step < totalSteps) mujoco.mj_step(model, data);
  }
  return { frames, sensors, radio, sensorChannels: channels, failureOnset };
}
