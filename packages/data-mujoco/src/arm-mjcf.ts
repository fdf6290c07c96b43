/**
 * MJCF for a six-axis industrial arm (yaw, shoulder, elbow, wrist pitch, wrist bend, tool roll),
 * with either a parallel gripper or a welding torch as its tool. At zero angles the upper arm stands
 * up, the forearm points along +x and the tool points down, which is the scenes' home pose.
 */

export type ArmTool = 'gripper' | 'torch';

export interface ArmSpec {
  /** Prefix of every name in this arm, so several arms share one scene. */
  readonly prefix: string;
  readonly base: readonly [number, number, number];
  /** Rotation of the base about z, radians. */
  readonly yaw: number;
  readonly tool: ArmTool;
  /** Upper arm and forearm lengths, metres. */
  readonly upperArm: number;
  readonly forearm: number;
  readonly rgba: string;
}

export const ARM_JOINTS = ['yaw', 'shoulder', 'elbow', 'wrist', 'bend', 'roll'] as const;

/** Sensor channel names of one arm, in the order its `<sensor>` block writes them. */
export function armSensorChannels(spec: ArmSpec): string[] {
  const p = spec.prefix;
  const channels = [
    ...ARM_JOINTS.map((j) => `${p}${j} angle`),
    ...ARM_JOINTS.map((j) => `${p}${j} velocity`),
    ...ARM_JOINTS.map((j) => `${p}${j} torque`),
    `${p}tool x`, `${p}tool y`, `${p}tool z`,
    `${p}tool qw`, `${p}tool qx`, `${p}tool qy`, `${p}tool qz`,
  ];
  if (spec.tool === 'gripper') channels.push(`${p}finger opening`, `${p}grip contact left`, `${p}grip contact right`);
  return channels;
}

const dark = '0.18 0.19 0.21 1';

function toolXml(spec: ArmSpec): string {
  const p = spec.prefix;
  if (spec.tool === 'gripper') {
    return `
            <geom name="${p}palm" type="box" size="0.045 0.012 0.018" pos="0 0 -0.02" rgba="${dark}"/>
            <body name="${p}finger_l" pos="0 0.02 -0.04" gravcomp="1">
              <joint name="${p}finger_l" type="slide" axis="0 1 0" range="-0.002 0.04" damping="8" armature="0.05"/>
              <geom name="${p}pad_l" type="box" size="0.012 0.006 0.035" pos="0 0.006 -0.03" rgba="0.55 0.57 0.6 1" friction="1.5 0.02 0.001" condim="4"/>
              <site name="${p}touch_l" type="box" size="0.013 0.008 0.036" pos="0 0.006 -0.03" rgba="0 0 0 0"/>
            </body>
            <body name="${p}finger_r" pos="0 -0.02 -0.04" gravcomp="1">
              <joint name="${p}finger_r" type="slide" axis="0 -1 0" range="-0.002 0.04" damping="8" armature="0.05"/>
              <geom name="${p}pad_r" type="box" size="0.012 0.006 0.035" pos="0 -0.006 -0.03" rgba="0.55 0.57 0.6 1" friction="1.5 0.02 0.001" condim="4"/>
              <site name="${p}touch_r" type="box" size="0.013 0.008 0.036" pos="0 -0.006 -0.03" rgba="0 0 0 0"/>
            </body>
            <site name="${p}tcp" pos="0 0 -0.075" size="0.005"/>`;
  }
  return `
            <geom name="${p}torch_body" type="cylinder" size="0.018 0.05" pos="0 0 -0.05" rgba="${dark}"/>
            <geom name="${p}torch_neck" type="capsule" fromto="0 0 -0.1 0.04 0 -0.17" size="0.011" rgba="0.72 0.6 0.25 1"/>
            <geom name="${p}nozzle" type="cylinder" size="0.013 0.012" pos="0.044 0 -0.178" euler="0 -0.52 0" rgba="0.78 0.66 0.3 1"/>
            <geom name="${p}arc" type="sphere" size="0.016" pos="0.05 0 -0.19" rgba="1 0.93 0.7 1" contype="0" conaffinity="0" mass="0.001"/>
            <site name="${p}tcp" pos="0.05 0 -0.19" size="0.005"/>`;
}

/** The arm's bodies, to be placed inside `<worldbody>`. */
export function armBodyXml(spec: ArmSpec): string {
  const p = spec.prefix;
  const [x, y, z] = spec.base;
  return `
  <body name="${p}base" pos="${x} ${y} ${z}" euler="0 0 ${spec.yaw}">
    <geom type="cylinder" size="0.09 0.04" pos="0 0 0.04" rgba="${dark}"/>
    <body name="${p}link1" pos="0 0 0.08" gravcomp="1">
      <joint name="${p}yaw" axis="0 0 1" range="-3.1 3.1" damping="30" armature="0.5"/>
      <geom type="cylinder" size="0.075 0.06" pos="0 0 0.06" rgba="${spec.rgba}"/>
      <body name="${p}link2" pos="0 0 0.12" gravcomp="1">
        <joint name="${p}shoulder" axis="0 1 0" range="-2 2" damping="30" armature="0.5"/>
        <geom type="cylinder" size="0.07 0.07" euler="1.5708 0 0" rgba="${dark}"/>
        <geom type="capsule" fromto="0 0 0 0 0 ${spec.upperArm}" size="0.055" rgba="${spec.rgba}"/>
        <body name="${p}link3" pos="0 0 ${spec.upperArm}" gravcomp="1">
          <joint name="${p}elbow" axis="0 1 0" range="-2.6 2.6" damping="20" armature="0.3"/>
          <geom type="cylinder" size="0.058 0.06" euler="1.5708 0 0" rgba="${dark}"/>
          <geom type="capsule" fromto="0 0 0 ${spec.forearm} 0 0" size="0.045" rgba="${spec.rgba}"/>
          <body name="${p}link4" pos="${spec.forearm} 0 0" gravcomp="1">
            <joint name="${p}wrist" axis="0 1 0" range="-2.6 2.6" damping="8" armature="0.1"/>
            <geom type="capsule" fromto="0 0 0 0 0 -0.08" size="0.038" rgba="${spec.rgba}"/>
            <body name="${p}link5" pos="0 0 -0.09" gravcomp="1">
              <joint name="${p}bend" axis="1 0 0" range="-2 2" damping="8" armature="0.1"/>
              <geom type="cylinder" size="0.04 0.02" rgba="${dark}"/>
              <body name="${p}link6" pos="0 0 -0.03" gravcomp="1">
                <joint name="${p}roll" axis="0 0 1" range="-3.1 3.1" damping="5" armature="0.05"/>
                <geom type="cylinder" size="0.032 0.012" rgba="0.6 0.62 0.66 1"/>${toolXml(spec)}
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
  </body>`;
}

const GAINS: Record<(typeof ARM_JOINTS)[number], [number, number]> = {
  yaw: [3000, 250], shoulder: [4000, 300], elbow: [3000, 220], wrist: [800, 60], bend: [800, 60], roll: [400, 30],
};

/** Position servos of the arm (one per joint, then the two fingers), for `<actuator>`. */
export function armActuatorXml(spec: ArmSpec): string {
  const p = spec.prefix;
  const joints = ARM_JOINTS.map((j) => `<position name="${p}${j}" joint="${p}${j}" kp="${GAINS[j][0]}" kv="${GAINS[j][1]}" forcerange="-400 400"/>`);
  if (spec.tool === 'gripper') {
    joints.push(`<position name="${p}finger_l" joint="${p}finger_l" kp="300" forcerange="-12 12"/>`, `<position name="${p}finger_r" joint="${p}finger_r" kp="300" forcerange="-12 12"/>`);
  }
  return joints.join('\n    ');
}

/** The arm's sensors, for `<sensor>`; their order matches {@link armSensorChannels}. */
export function armSensorXml(spec: ArmSpec): string {
  const p = spec.prefix;
  const lines = [
    ...ARM_JOINTS.map((j) => `<jointpos joint="${p}${j}"/>`),
    ...ARM_JOINTS.map((j) => `<jointvel joint="${p}${j}"/>`),
    ...ARM_JOINTS.map((j) => `<actuatorfrc actuator="${p}${j}"/>`),
    `<framepos objtype="site" objname="${p}tcp"/>`,
    `<framequat objtype="site" objname="${p}tcp"/>`,
  ];
  if (spec.tool === 'gripper') lines.push(`<jointpos joint="${p}finger_l"/>`, `<touch site="${p}touch_l"/>`, `<touch site="${p}touch_r"/>`);
  return lines.join('\n    ');
}
