import { MJ_GEOM } from './mujoco-runtime';
import { Hit, hitLocal, normalize } from './ray-intersections';

/**
 * A headless ray caster for MuJoCo's primitive geoms (plane, sphere, capsule, ellipsoid, cylinder,
 * box): exact intersections in each geom's frame, Lambert plus a little specular shading from one
 * directional light, hard shadows and distance haze, so depth reads in a small image. Deterministic
 * and CPU-only; at 128 × 128 a frame of a two-arm station takes milliseconds.
 */

export interface CameraSpec {
  readonly position: readonly [number, number, number];
  readonly target: readonly [number, number, number];
  /** Vertical field of view, degrees. */
  readonly fovy: number;
}

/** What the renderer reads of a simulated scene (MuJoCo's model and data arrays). */
export interface GeomScene {
  readonly count: number;
  readonly type: Int32Array;
  /** 3 per geom. */
  readonly size: Float64Array;
  /** 4 per geom. */
  readonly rgba: Float32Array;
  /** 3 per geom, world frame. */
  readonly position: Float64Array;
  /** 9 per geom, row-major rotation from geom to world frame. */
  readonly rotation: Float64Array;
  readonly boundingRadius: Float64Array;
  /** Geoms drawn as light sources (the welding arc), by index; others follow `rgba[3] > 0`. */
  readonly emissive?: ReadonlySet<number>;
  readonly hidden?: ReadonlySet<number>;
}

const LIGHT = normalize([0.45, -0.35, 0.82]);
export class RayRenderer {
  private readonly hit: Hit = { t: Infinity, nx: 0, ny: 0, nz: 0 };
  /** Per-frame list of geoms whose bounding sphere a pixel block can see. */
  private candidates = new Int32Array(0);

  constructor(
    readonly width: number,
    readonly height: number,
    readonly camera: CameraSpec,
  ) {}

  /** Nearest intersection along a world ray among `geoms`; returns its index or -1 (t, normal in this.hit, world frame). */
  private trace(scene: GeomScene, geoms: Int32Array, count: number, px: number, py: number, pz: number, dx: number, dy: number, dz: number, maxT: number, anyHit: boolean): number {
    const hit = this.hit;
    hit.t = maxT;
    let best = -1;
    for (let n = 0; n < count; n++) {
      const g = geoms[n];
      const type = scene.type[g];
      const cx = scene.position[3 * g];
      const cy = scene.position[3 * g + 1];
      const cz = scene.position[3 * g + 2];
      const qx = px - cx;
      const qy = py - cy;
      const qz = pz - cz;
      if (type !== MJ_GEOM.plane) {
        // Bounding-sphere rejection before the exact test.
        const r = scene.boundingRadius[g];
        const b = qx * dx + qy * dy + qz * dz;
        const c = qx * qx + qy * qy + qz * qz - r * r;
        if (c > 0 && (b > 0 || b * b < c)) continue;
      }
      const R = scene.rotation;
      const m = 9 * g;
      // Into the geom frame: local = Rᵀ (world − centre).
      const ox = R[m] * qx + R[m + 3] * qy + R[m + 6] * qz;
      const oy = R[m + 1] * qx + R[m + 4] * qy + R[m + 7] * qz;
      const oz = R[m + 2] * qx + R[m + 5] * qy + R[m + 8] * qz;
      const lx = R[m] * dx + R[m + 3] * dy + R[m + 6] * dz;
      const ly = R[m + 1] * dx + R[m + 4] * dy + R[m + 7] * dz;
      const lz = R[m + 2] * dx + R[m + 5] * dy + R[m + 8] * dz;
      const found = hitLocal(type, ox, oy, oz, lx, ly, lz, scene.size[3 * g], scene.size[3 * g + 1], scene.size[3 * g + 2], hit);
      if (found) {
        best = g;
        // Back to the world frame: n = R n_local.
        const nx = hit.nx;
        const ny = hit.ny;
        const nz = hit.nz;
        hit.nx = R[m] * nx + R[m + 1] * ny + R[m + 2] * nz;
        hit.ny = R[m + 3] * nx + R[m + 4] * ny + R[m + 5] * nz;
        hit.nz = R[m + 6] * nx + R[m + 7] * ny + R[m + 8] * nz;
        if (anyHit) return best;
      }
    }
    return best;
  }

  /** The camera's viewing direction and the image's right and up directions in the world. */
  private cameraBasis(): { forward: number[]; right: number[]; up: number[] } {
    const [cx, cy, cz] = this.camera.position;
    const forward = normalize([this.camera.target[0] - cx, this.camera.target[1] - cy, this.camera.target[2] - cz]);
    const right = normalize([forward[1], -forward[0], 0]);
    const up = [right[1] * forward[2] - right[2] * forward[1], right[2] * forward[0] - right[0] * forward[2], right[0] * forward[1] - right[1] * forward[0]];
    return { forward, right, up };
  }

  /** The geoms a ray can hit (shown and not transparent), those that cast shadows, and the lights (shown emissive geoms). */
  private drawnGeoms(scene: GeomScene): { visible: Int32Array; visibleCount: number; casters: Int32Array; casterCount: number; lights: number[] } {
    if (this.candidates.length < scene.count) this.candidates = new Int32Array(scene.count);
    const visible = this.candidates;
    let visibleCount = 0;
    const casters = new Int32Array(scene.count);
    let casterCount = 0;
    for (let g = 0; g < scene.count; g++) {
      if (scene.hidden?.has(g)) continue;
      if (scene.rgba[4 * g + 3] <= 0 && !scene.emissive?.has(g)) continue;
      visible[visibleCount++] = g;
      if (scene.type[g] !== MJ_GEOM.plane && !scene.emissive?.has(g)) casters[casterCount++] = g;
    }
    const lights = scene.emissive ? [...scene.emissive].filter((g) => !scene.hidden?.has(g)) : [];
    return { visible, visibleCount, casters, casterCount, lights };
  }

  /**
   * The colour of a hit of geom g seen along (dx, dy, dz) from the camera: Lambert shading with a
   * shadow ray to the light, a Blinn–Phong highlight, the glow of emissive geoms and distance haze.
   */
  private shadeHit(scene: GeomScene, g: number, cx: number, cy: number, cz: number, dx: number, dy: number, dz: number, casters: Int32Array, casterCount: number, lights: number[], out: Float32Array, o: number): void {
    const t = this.hit.t;
    let nx = this.hit.nx;
    let ny = this.hit.ny;
    let nz = this.hit.nz;
    if (nx * dx + ny * dy + nz * dz > 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    const hx = cx + t * dx;
    const hy = cy + t * dy;
    const hz = cz + t * dz;
    let r = scene.rgba[4 * g];
    let gr = scene.rgba[4 * g + 1];
    let b = scene.rgba[4 * g + 2];
    if (scene.emissive?.has(g)) {
      out[o] = Math.min(1, r);
      out[o + 1] = Math.min(1, gr);
      out[o + 2] = Math.min(1, b);
      return;
    }
    if (scene.type[g] === MJ_GEOM.plane && (Math.floor(hx * 4) + Math.floor(hy * 4)) % 2 !== 0) {
      // Floor tiles give the eye a depth cue.
      r *= 0.86;
      gr *= 0.86;
      b *= 0.86;
    }
    let diffuse = nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2];
    if (diffuse > 0) {
      const sx = hx + 1e-4 * nx;
      const sy = hy + 1e-4 * ny;
      const sz = hz + 1e-4 * nz;
      if (this.trace(scene, casters, casterCount, sx, sy, sz, LIGHT[0], LIGHT[1], LIGHT[2], 50, true) >= 0) diffuse *= 0.15;
    } else diffuse = 0;
    // Blinn–Phong highlight with the half vector between light and eye.
    const hxv = LIGHT[0] - dx;
    const hyv = LIGHT[1] - dy;
    const hzv = LIGHT[2] - dz;
    const hn = Math.hypot(hxv, hyv, hzv);
    const spec = diffuse > 0.2 ? Math.pow(Math.max(0, (nx * hxv + ny * hyv + nz * hzv) / hn), 24) * 0.25 : 0;
    let glow = 0;
    for (const l of lights) {
      const lx = scene.position[3 * l] - hx;
      const ly = scene.position[3 * l + 1] - hy;
      const lz = scene.position[3 * l + 2] - hz;
      const d2 = lx * lx + ly * ly + lz * lz;
      glow += (0.004 / (d2 + 0.002)) * Math.max(0.2, (nx * lx + ny * ly + nz * lz) / Math.sqrt(d2 + 1e-12));
    }
    const shade = 0.28 + 0.72 * diffuse;
    const haze = Math.min(0.35, Math.max(0, (t - 2) * 0.06));
    out[o] = Math.min(1, (r * shade + spec + glow * 1.0) * (1 - haze) + 0.6 * haze);
    out[o + 1] = Math.min(1, (gr * shade + spec + glow * 0.85) * (1 - haze) + 0.63 * haze);
    out[o + 2] = Math.min(1, (b * shade + spec + glow * 0.6) * (1 - haze) + 0.68 * haze);
  }

  /** Renders the scene into `out` (RGB in [0, 1], row-major height × width × 3) at `offset`. */
  render(scene: GeomScene, out: Float32Array, offset = 0): void {
    const { width, height } = this;
    const [cx, cy, cz] = this.camera.position;
    const { forward, right, up } = this.cameraBasis();
    const tanHalf = Math.tan((this.camera.fovy * Math.PI) / 360);
    const aspect = width / height;
    const { visible, visibleCount, casters, casterCount, lights } = this.drawnGeoms(scene);

    for (let row = 0; row < height; row++) {
      const v = (1 - (2 * (row + 0.5)) / height) * tanHalf;
      for (let col = 0; col < width; col++) {
        const u = ((2 * (col + 0.5)) / width - 1) * tanHalf * aspect;
        let dx = forward[0] + u * right[0] + v * up[0];
        let dy = forward[1] + u * right[1] + v * up[1];
        let dz = forward[2] + u * right[2] + v * up[2];
        const norm = Math.hypot(dx, dy, dz);
        dx /= norm;
        dy /= norm;
        dz /= norm;
        const o = offset + 3 * (row * width + col);
        const g = this.trace(scene, visible, visibleCount, cx, cy, cz, dx, dy, dz, 50, false);
        if (g < 0) {
          // Workshop backdrop: a vertical gradient.
          const k = 0.5 + 0.5 * dz;
          out[o] = 0.52 + 0.2 * k;
          out[o + 1] = 0.56 + 0.2 * k;
          out[o + 2] = 0.62 + 0.22 * k;
          continue;
        }
        this.shadeHit(scene, g, cx, cy, cz, dx, dy, dz, casters, casterCount, lights, out, o);
      }
    }
  }
}
