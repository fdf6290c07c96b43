// Ray intersections with MuJoCo's geom primitives in each geom's own frame, nearest hit kept.
import { MJ_GEOM } from './mujoco-runtime';

const EPS = 1e-7;

export function normalize(v: number[]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Scratch for one intersection, in the geom frame. */
export interface Hit {
  t: number;
  nx: number;
  ny: number;
  nz: number;
}

function hitSphere(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number, hit: Hit): boolean {
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  const disc = b * b - c;
  if (disc < 0) return false;
  const s = Math.sqrt(disc);
  let t = -b - s;
  if (t <= EPS) t = -b + s;
  if (t <= EPS || t >= hit.t) return false;
  hit.t = t;
  hit.nx = (ox + t * dx) / r;
  hit.ny = (oy + t * dy) / r;
  hit.nz = (oz + t * dz) / r;
  return true;
}

/** Infinite cylinder along z of radius r, limited to |z| ≤ h (no caps). */
function hitTube(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number, h: number, hit: Hit): boolean {
  const a = dx * dx + dy * dy;
  if (a < 1e-12) return false;
  const b = ox * dx + oy * dy;
  const c = ox * ox + oy * oy - r * r;
  const disc = b * b - a * c;
  if (disc < 0) return false;
  const s = Math.sqrt(disc);
  for (let k = 0; k < 2; k++) {
    const t = (k === 0 ? -b - s : -b + s) / a;
    if (t <= EPS || t >= hit.t) continue;
    const z = oz + t * dz;
    if (z < -h || z > h) continue;
    hit.t = t;
    hit.nx = (ox + t * dx) / r;
    hit.ny = (oy + t * dy) / r;
    hit.nz = 0;
    return true;
  }
  return false;
}

function hitCapsule(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number, h: number, hit: Hit): boolean {
  let any = hitTube(ox, oy, oz, dx, dy, dz, r, h, hit);
  any = hitSphere(ox, oy, oz - h, dx, dy, dz, r, hit) || any;
  any = hitSphere(ox, oy, oz + h, dx, dy, dz, r, hit) || any;
  return any;
}

function hitCylinder(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number, h: number, hit: Hit): boolean {
  let any = hitTube(ox, oy, oz, dx, dy, dz, r, h, hit);
  if (Math.abs(dz) > 1e-12) {
    for (const cap of [-h, h]) {
      const t = (cap - oz) / dz;
      if (t <= EPS || t >= hit.t) continue;
      const x = ox + t * dx;
      const y = oy + t * dy;
      if (x * x + y * y > r * r) continue;
      hit.t = t;
      hit.nx = 0;
      hit.ny = 0;
      hit.nz = cap > 0 ? 1 : -1;
      any = true;
    }
  }
  return any;
}

function hitBox(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, sx: number, sy: number, sz: number, hit: Hit): boolean {
  let near = -Infinity;
  let far = Infinity;
  let axis = 0;
  let sign = 1;
  for (let k = 0; k < 3; k++) {
    const o = k === 0 ? ox : k === 1 ? oy : oz;
    const d = k === 0 ? dx : k === 1 ? dy : dz;
    const s = k === 0 ? sx : k === 1 ? sy : sz;
    if (Math.abs(d) < 1e-12) {
      if (o < -s || o > s) return false;
      continue;
    }
    let t1 = (-s - o) / d;
    let t2 = (s - o) / d;
    let entrySign = -1;
    if (t1 > t2) {
      [t1, t2] = [t2, t1];
      entrySign = 1;
    }
    if (t1 > near) {
      near = t1;
      axis = k;
      sign = entrySign;
    }
    if (t2 < far) far = t2;
    if (near > far) return false;
  }
  if (near <= EPS || near >= hit.t) return false;
  hit.t = near;
  hit.nx = axis === 0 ? sign : 0;
  hit.ny = axis === 1 ? sign : 0;
  hit.nz = axis === 2 ? sign : 0;
  return true;
}

function hitPlane(oz: number, dz: number, hit: Hit): boolean {
  if (Math.abs(dz) < 1e-12) return false;
  const t = -oz / dz;
  if (t <= EPS || t >= hit.t) return false;
  hit.t = t;
  hit.nx = 0;
  hit.ny = 0;
  hit.nz = 1;
  return true;
}

/** Intersection of a ray with a geom in the geom's own frame (origin o, direction l, MuJoCo size s); updates `hit` when nearer. */
export function hitLocal(type: number, ox: number, oy: number, oz: number, lx: number, ly: number, lz: number, s0: number, s1: number, s2: number, hit: Hit): boolean {
  switch (type) {
    case MJ_GEOM.plane: {
      // MuJoCo planes are finite when their size is positive.
      const before = hit.t;
      let found = hitPlane(oz, lz, hit);
      if (found && ((s0 > 0 && Math.abs(ox + hit.t * lx) > s0) || (s1 > 0 && Math.abs(oy + hit.t * ly) > s1))) {
        found = false;
        hit.t = before;
      }
      return found;
    }
    case MJ_GEOM.sphere:
      return hitSphere(ox, oy, oz, lx, ly, lz, s0, hit);
    case MJ_GEOM.capsule:
      return hitCapsule(ox, oy, oz, lx, ly, lz, s0, s1, hit);
    case MJ_GEOM.ellipsoid: {
      // A unit sphere in coordinates scaled by the semi-axes; t is preserved by the scaling.
      const before = hit.t;
      const found = hitSphere(ox / s0, oy / s1, oz / s2, lx / s0, ly / s1, lz / s2, 1, hit);
      if (found) {
        const n = normalize([hit.nx / s0, hit.ny / s1, hit.nz / s2]);
        [hit.nx, hit.ny, hit.nz] = n;
      } else hit.t = before;
      return found;
    }
    case MJ_GEOM.cylinder:
      return hitCylinder(ox, oy, oz, lx, ly, lz, s0, s1, hit);
    case MJ_GEOM.box:
      return hitBox(ox, oy, oz, lx, ly, lz, s0, s1, s2, hit);
    default:
      return false;
  }
}
