import { Rng } from '@mmfuse/core';
import { armActuatorXml, armBodyXml, armSensorXml, ArmSpec } from './arm-mjcf';
import { CameraSpec } from './ray-renderer';

export type SceneType = 'mujoco-pick-place' | 'welding-single' | 'welding-dual';

/** Failures that happen inside the simulated process and so change every modality consistently. */
export const PROCESS_FAILURES = ['object-slip', 'collision', 'joint-degradation'] as const;
export type ProcessFailure = (typeof PROCESS_FAILURES)[number];

type Vec3 = readonly [number, number, number];

/** One point of an arm's task: where its tool goes, how its gripper is set and whether it welds. */
export interface Waypoint {
  readonly position: Vec3;
  /** Relative time to reach this point from the previous one. */
  readonly duration: number;
  /** Finger opening command (gripper arms), metres per finger. */
  readonly gripper?: number;
  /** Tool yaw about the vertical for grasping, radians (gripper arms). */
  readonly toolYaw?: number;
  /** The welding arc burns while moving to this point. */
  readonly arc?: boolean;
  /** The process failure may start while moving to this point. */
  readonly failureWindow?: boolean;
}

export interface ArmTask {
  readonly arm: ArmSpec;
  readonly waypoints: readonly Waypoint[];
}

export interface SceneEpisode {
  readonly xml: string;
  readonly camera: CameraSpec;
  readonly tasks: readonly ArmTask[];
  /** Transmitter and receiver of the radio link, world frame. */
  readonly radio: { readonly transmitter: Vec3; readonly receiver: Vec3 };
  /** Static reflecting planes of the room for the radio model: a point on each and its normal. */
  readonly reflectors: readonly { readonly point: Vec3; readonly normal: Vec3 }[];
  /** The process failure of this episode, if any. */
  readonly failure?: ProcessFailure;
}

const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const f = (v: number) => v.toFixed(4);
const vec = (v: readonly number[]) => v.map(f).join(' ');

const ROOM = `
  <option timestep="0.002" integrator="implicitfast" gravity="0 0 -9.81"/>
  <compiler angle="radian" autolimits="true"/>
  <default><geom solref="0.004 1" solimp="0.95 0.99 0.001"/></default>`;

const FLOOR = `<geom name="floor" type="plane" size="0 0 0.05" rgba="0.5 0.52 0.55 1"/>`;

function scene(bodies: string, arms: readonly ArmSpec[], extraSensors = ''): string {
  return `<mujoco model="mmfuse-scene">${ROOM}
  <worldbody>
  <light pos="1 -1 3" dir="-0.3 0.3 -1"/>
  ${FLOOR}${bodies}${arms.map(armBodyXml).join('')}
  </worldbody>
  <actuator>
    ${arms.map(armActuatorXml).join('\n    ')}
  </actuator>
  <sensor>
    ${arms.map(armSensorXml).join('\n    ')}${extraSensors}
  </sensor>
</mujoco>`;
}

/** A static box that the arm may run into; its touch sensor dates the collision. */
function obstacleXml(centre: Vec3, half: Vec3): { bodies: string; sensor: string } {
  return {
    bodies: `
  <body name="obstacle" pos="${vec(centre)}">
    <geom name="obstacle" type="box" size="${vec(half)}" rgba="0.85 0.75 0.15 1"/>
    <site name="obstacle_touch" type="box" size="${vec(half.map((h) => h + 0.004))}" rgba="0 0 0 0"/>
  </body>`,
    sensor: `\n    <touch site="obstacle_touch"/>`,
  };
}

const OBJECT_COLOURS = ['0.82 0.16 0.14 1', '0.16 0.55 0.22 1', '0.15 0.32 0.78 1', '0.9 0.72 0.1 1'];
const ROOM_REFLECTORS = [
  { point: [0, 0, 0] as Vec3, normal: [0, 0, 1] as Vec3 },
  { point: [-1.5, 0, 0] as Vec3, normal: [1, 0, 0] as Vec3 },
  { point: [0, 2.5, 0] as Vec3, normal: [0, -1, 0] as Vec3 },
];

/** A UR5-sized arm with a parallel gripper moves a cube from a random spot on a table into a tray. */
export function pickPlaceEpisode(rng: Rng, failure?: ProcessFailure): SceneEpisode {
  const arm: ArmSpec = { prefix: '', base: [0, 0, 0.4], yaw: 0, tool: 'gripper', upperArm: 0.42, forearm: 0.39, rgba: '0.62 0.7 0.78 1' };
  const tableTop = 0.4;
  const half = 0.025;
  const object: Vec3 = [between(rng, 0.38, 0.6), between(rng, -0.38, -0.08), tableTop + half];
  const objectYaw = between(rng, -0.6, 0.6);
  const tray: Vec3 = [between(rng, 0.38, 0.6), between(rng, 0.12, 0.38), tableTop];
  const colour = OBJECT_COLOURS[Math.floor(rng() * OBJECT_COLOURS.length)];
  const lift = between(rng, 0.14, 0.22);
  let bodies = `
  <geom name="pedestal" type="box" size="0.12 0.12 0.2" pos="0 0 0.2" rgba="0.3 0.31 0.33 1"/>
  <geom name="table" type="box" size="0.38 0.6 0.2" pos="0.52 0 0.2" rgba="0.62 0.5 0.36 1"/>
  <geom name="tray" type="box" size="0.08 0.08 0.004" pos="${f(tray[0])} ${f(tray[1])} ${f(tableTop + 0.004)}" rgba="0.2 0.22 0.26 1"/>
  <geom name="tray_rim_a" type="box" size="0.08 0.005 0.015" pos="${f(tray[0])} ${f(tray[1] + 0.08)} ${f(tableTop + 0.015)}" rgba="0.2 0.22 0.26 1"/>
  <geom name="tray_rim_b" type="box" size="0.08 0.005 0.015" pos="${f(tray[0])} ${f(tray[1] - 0.08)} ${f(tableTop + 0.015)}" rgba="0.2 0.22 0.26 1"/>
  <body name="object" pos="${vec(object)}" euler="0 0 ${f(objectYaw)}">
    <freejoint/>
    <geom name="object" type="box" size="${half} ${half} ${half}" mass="0.1" rgba="${colour}" friction="1.5 0.02 0.001" condim="4"/>
  </body>`;
  let extraSensor = '';
  if (failure === 'collision') {
    // A fixture left between pick and place, where the arm swings the cube: the joint-space carry
    // sweeps an arc about the base, so halfway in angle and in reach rather than on the straight line.
    const angle = (Math.atan2(object[1], object[0]) + Math.atan2(tray[1], tray[0])) / 2;
    const reach = (Math.hypot(object[0], object[1]) + Math.hypot(tray[0], tray[1])) / 2;
    const mid: Vec3 = [reach * Math.cos(angle), reach * Math.sin(angle), tableTop + 0.13];
    const obstacle = obstacleXml(mid, [0.03, 0.03, 0.13]);
    bodies += obstacle.bodies;
    extraSensor = obstacle.sensor;
  }
  const above = (p: Vec3, dz: number): Vec3 => [p[0], p[1], p[2] + dz];
  const home: Vec3 = [0.3, 0, 0.85];
  const open = 0.035;
  const closed = -0.004;
  const placed: Vec3 = [tray[0], tray[1], tableTop + 0.008 + half];
  const waypoints: Waypoint[] = [
    { position: home, duration: 0.4, gripper: open, toolYaw: 0 },
    { position: above(object, 0.15), duration: 1.0, gripper: open, toolYaw: objectYaw },
    { position: object, duration: 0.7, gripper: open, toolYaw: objectYaw },
    { position: object, duration: 0.45, gripper: closed, toolYaw: objectYaw },
    { position: above(object, lift), duration: 0.7, gripper: closed, toolYaw: objectYaw, failureWindow: true },
    { position: above(placed, lift), duration: 1.2, gripper: closed, toolYaw: 0, failureWindow: true },
    { position: above(placed, 0.004), duration: 0.7, gripper: closed, toolYaw: 0 },
    { position: above(placed, 0.004), duration: 0.4, gripper: open, toolYaw: 0 },
    { position: above(placed, 0.18), duration: 0.6, gripper: open, toolYaw: 0 },
    { position: home, duration: 0.9, gripper: open, toolYaw: 0 },
  ];
  return {
    xml: scene(bodies, [arm], extraSensor),
    camera: { position: [1.3, -0.95, 1.25], target: [0.4, 0, 0.6], fovy: 46 },
    tasks: [{ arm, waypoints }],
    radio: { transmitter: [1.1, -0.9, 1.0], receiver: [1.0, 0.95, 0.9] },
    reflectors: ROOM_REFLECTORS,
    failure,
  };
}

interface Seam {
  readonly from: Vec3;
  readonly to: Vec3;
}

/** A T-joint workpiece (base plate and web) on the welding table; the seam runs along the web's foot. */
function workpiece(centre: Vec3, yaw: number, length: number): { bodies: string; seams: [Seam, Seam] } {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const along = (d: number, side: number): Vec3 => [centre[0] + side * c - d * s, centre[1] + side * s + d * c, centre[2] + 0.02];
  const bodies = `
  <geom name="base_plate" type="box" size="0.16 ${f(length / 2 + 0.04)} 0.01" pos="${vec(centre)}" euler="0 0 ${f(yaw)}" rgba="0.55 0.57 0.6 1"/>
  <geom name="web" type="box" size="0.006 ${f(length / 2)} 0.06" pos="${vec([centre[0], centre[1], centre[2] + 0.07])}" euler="0 0 ${f(yaw)}" rgba="0.6 0.62 0.66 1"/>
  <geom name="seam" type="capsule" size="0.004" fromto="${vec(along(-length / 2, -0.012))} ${vec(along(length / 2, -0.012))}" rgba="0.22 0.2 0.18 1" contype="0" conaffinity="0"/>`;
  return {
    bodies,
    seams: [
      { from: along(-length / 2, -0.02), to: along(length / 2, -0.02) },
      { from: along(length / 2, 0.02), to: along(-length / 2, 0.02) },
    ],
  };
}

/** A clamp left on the seam, part way along, which the torch runs into. */
function clampOnSeam(rng: Rng, seam: Seam, tableTop: number): { bodies: string; sensor: string } {
  const k = between(rng, 0.35, 0.65);
  const at: Vec3 = [seam.from[0] + k * (seam.to[0] - seam.from[0]), seam.from[1] + k * (seam.to[1] - seam.from[1]), tableTop + 0.06];
  return obstacleXml(at, [0.03, 0.025, 0.05]);
}

function weldingWaypoints(home: Vec3, seam: Seam, approach: number, travel: number): Waypoint[] {
  const up = (p: Vec3, dz: number): Vec3 => [p[0], p[1], p[2] + dz];
  return [
    { position: home, duration: 0.3 },
    { position: up(seam.from, approach), duration: 1.0 },
    { position: seam.from, duration: 0.5 },
    { position: seam.to, duration: travel, arc: true, failureWindow: true },
    { position: up(seam.to, approach), duration: 0.5 },
    { position: home, duration: 1.0 },
  ];
}

/** A large six-axis arm with a welding torch follows the seam of a T-joint, close to the camera. */
export function weldingSingleEpisode(rng: Rng, failure?: ProcessFailure): SceneEpisode {
  const arm: ArmSpec = { prefix: '', base: [0, 0, 0.3], yaw: 0, tool: 'torch', upperArm: 0.62, forearm: 0.56, rgba: '0.93 0.46 0.1 1' };
  const tableTop = 0.7;
  const centre: Vec3 = [between(rng, 0.68, 0.8), between(rng, -0.08, 0.08), tableTop + 0.01];
  const yaw = between(rng, -0.35, 0.35);
  const length = between(rng, 0.36, 0.5);
  const piece = workpiece(centre, yaw, length);
  const seam = rng() < 0.5 ? piece.seams[0] : { from: piece.seams[0].to, to: piece.seams[0].from };
  let bodies = `
  <geom name="riser" type="box" size="0.16 0.16 0.15" pos="0 0 0.15" rgba="0.3 0.31 0.33 1"/>
  <geom name="welding_table" type="box" size="0.34 0.5 0.35" pos="0.78 0 0.35" rgba="0.28 0.3 0.33 1"/>${piece.bodies}`;
  let extraSensor = '';
  if (failure === 'collision') {
    const obstacle = clampOnSeam(rng, seam, tableTop);
    bodies += obstacle.bodies;
    extraSensor = obstacle.sensor;
  }
  return {
    xml: scene(bodies, [arm], extraSensor),
    camera: { position: [1.75, -1.3, 1.6], target: [0.45, 0, 0.85], fovy: 46 },
    tasks: [{ arm, waypoints: weldingWaypoints([0.5, 0, 1.12], seam, 0.12, between(rng, 2.2, 3.5)) }],
    radio: { transmitter: [1.4, -1.0, 1.2], receiver: [1.3, 1.1, 1.1] },
    reflectors: ROOM_REFLECTORS,
    failure,
  };
}

/** Two arms weld the two halves of one seam cooperatively; the camera sees the whole station from afar. */
export function weldingDualEpisode(rng: Rng, failure?: ProcessFailure): SceneEpisode {
  const left: ArmSpec = { prefix: 'a_', base: [0, -0.62, 0.3], yaw: 0.42, tool: 'torch', upperArm: 0.62, forearm: 0.56, rgba: '0.93 0.46 0.1 1' };
  const right: ArmSpec = { prefix: 'b_', base: [0, 0.62, 0.3], yaw: -0.42, tool: 'torch', upperArm: 0.62, forearm: 0.56, rgba: '0.93 0.46 0.1 1' };
  const tableTop = 0.7;
  const centre: Vec3 = [between(rng, 0.72, 0.82), between(rng, -0.05, 0.05), tableTop + 0.01];
  const yaw = between(rng, -0.12, 0.12);
  const length = between(rng, 0.7, 0.86);
  const piece = workpiece(centre, yaw, length);
  const seam = piece.seams[0];
  const middle: Vec3 = [(seam.from[0] + seam.to[0]) / 2, (seam.from[1] + seam.to[1]) / 2, seam.from[2]];
  // Each arm starts at its own end and meets the other near the middle, leaving a small gap.
  const towards = (a: Vec3, b: Vec3, k: number): Vec3 => [a[0] + k * (b[0] - a[0]), a[1] + k * (b[1] - a[1]), a[2] + k * (b[2] - a[2])];
  const seamLeft: Seam = { from: seam.from, to: towards(seam.from, middle, 0.94) };
  const seamRight: Seam = { from: seam.to, to: towards(seam.to, middle, 0.94) };
  let bodies = `
  <geom name="riser_a" type="box" size="0.16 0.16 0.15" pos="0 -0.62 0.15" rgba="0.3 0.31 0.33 1"/>
  <geom name="riser_b" type="box" size="0.16 0.16 0.15" pos="0 0.62 0.15" rgba="0.3 0.31 0.33 1"/>
  <geom name="welding_table" type="box" size="0.34 0.75 0.35" pos="0.8 0 0.35" rgba="0.28 0.3 0.33 1"/>${piece.bodies}`;
  let extraSensor = '';
  if (failure === 'collision') {
    const obstacle = clampOnSeam(rng, seamLeft, tableTop);
    bodies += obstacle.bodies;
    extraSensor = obstacle.sensor;
  }
  const travel = between(rng, 2.2, 3.5);
  const lag = between(rng, 0, 0.4);
  const rightWaypoints = weldingWaypoints([0.5, 0.4, 1.12], seamRight, 0.12, travel);
  return {
    xml: scene(bodies, [left, right], extraSensor),
    camera: { position: [2.7, -2.0, 2.1], target: [0.4, 0, 0.75], fovy: 44 },
    tasks: [
      { arm: left, waypoints: weldingWaypoints([0.5, -0.4, 1.12], seamLeft, 0.12, travel) },
      // The second arm starts a little later, so the two are not in lockstep.
      { arm: right, waypoints: [{ ...rightWaypoints[0], duration: rightWaypoints[0].duration + lag }, ...rightWaypoints.slice(1)] },
    ],
    radio: { transmitter: [1.8, -1.4, 1.3], receiver: [1.7, 1.5, 1.2] },
    reflectors: ROOM_REFLECTORS,
    failure,
  };
}

export const SCENES: Record<SceneType, { build: (rng: Rng, failure?: ProcessFailure) => SceneEpisode; failures: readonly ProcessFailure[] }> = {
  'mujoco-pick-place': { build: pickPlaceEpisode, failures: ['object-slip', 'collision', 'joint-degradation'] },
  'welding-single': { build: weldingSingleEpisode, failures: ['collision', 'joint-degradation'] },
  'welding-dual': { build: weldingDualEpisode, failures: ['collision', 'joint-degradation'] },
};
