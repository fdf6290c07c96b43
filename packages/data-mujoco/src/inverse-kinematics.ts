import { MjData, MjModel, Mujoco } from './mujoco-runtime';

export interface IkTarget {
  /** Tool-centre position, world frame. */
  readonly position: readonly [number, number, number];
  /** Direction the tool's local +z axis should point (world); the tool itself points along −z. */
  readonly axis?: readonly [number, number, number];
}

export interface IkResult {
  readonly qpos: Float64Array;
  /** Remaining position error, metres. */
  readonly error: number;
}

/** Solves the symmetric positive definite system A x = b in place (Cholesky; n is small). */
function solveSpd(a: Float64Array, b: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    d = Math.sqrt(Math.max(d, 1e-12));
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
}

/**
 * Damped least-squares inverse kinematics for one site, moving only the given joints (by qpos and
 * dof address, hinge joints). Starts from `data.qpos`; leaves `data` at the solution. Joint limits
 * are respected by clamping after each step.
 */
export function solveIk(
  mujoco: Mujoco,
  model: MjModel,
  data: MjData,
  site: number,
  joints: { qpos: readonly number[]; dof: readonly number[]; range: readonly (readonly [number, number])[] },
  target: IkTarget,
  iterations = 120,
): IkResult {
  const nv = model.nv;
  const n = joints.dof.length;
  const jacp = new mujoco.DoubleBuffer(3 * nv);
  const jacr = new mujoco.DoubleBuffer(3 * nv);
  const rows = target.axis ? 6 : 3;
  const J = new Float64Array(rows * n);
  const A = new Float64Array(rows * rows);
  const e = new Float64Array(rows);
  let error = Infinity;
  try {
    for (let it = 0; it < iterations; it++) {
      mujoco.mj_kinematics(model, data);
      mujoco.mj_comPos(model, data);
      const p = data.site_xpos.subarray(3 * site, 3 * site + 3);
      e[0] = target.position[0] - p[0];
      e[1] = target.position[1] - p[1];
      e[2] = target.position[2] - p[2];
      error = Math.hypot(e[0], e[1], e[2]);
      if (target.axis) {
        // The site's z axis is the third column of its rotation; the rotation that aligns it with
        // the target axis is their cross product (small-angle), weighted below position.
        const m = data.site_xmat.subarray(9 * site, 9 * site + 9);
        const z = [m[2], m[5], m[8]];
        const a = target.axis;
        e[3] = 0.5 * (z[1] * a[2] - z[2] * a[1]);
        e[4] = 0.5 * (z[2] * a[0] - z[0] * a[2]);
        e[5] = 0.5 * (z[0] * a[1] - z[1] * a[0]);
      }
      const rotError = target.axis ? Math.hypot(e[3], e[4], e[5]) : 0;
      if (error < 2e-4 && rotError < 1e-3) break;
      mujoco.mj_jacSite(model, data, jacp, jacr, site);
      const P = jacp.GetView();
      const R = jacr.GetView();
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < n; c++) {
          J[r * n + c] = P[r * nv + joints.dof[c]];
          if (target.axis) J[(r + 3) * n + c] = 0.5 * R[r * nv + joints.dof[c]];
        }
      }
      // dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e
      const lambda2 = 1e-3;
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < rows; k++) {
          let s = i === k ? lambda2 : 0;
          for (let c = 0; c < n; c++) s += J[i * n + c] * J[k * n + c];
          A[i * rows + k] = s;
        }
      }
      solveSpd(A, e, rows);
      for (let c = 0; c < n; c++) {
        let dq = 0;
        for (let r = 0; r < rows; r++) dq += J[r * n + c] * e[r];
        dq = Math.max(-0.2, Math.min(0.2, dq));
        const adr = joints.qpos[c];
        const [lo, hi] = joints.range[c];
        data.qpos[adr] = Math.max(lo, Math.min(hi, data.qpos[adr] + dq));
      }
    }
  } finally {
    jacp.delete();
    jacr.delete();
  }
  return { qpos: Float64Array.from(joints.qpos.map((adr) => data.qpos[adr])), error };
}
