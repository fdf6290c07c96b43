import { MJ_GEOM } from './mujoco-runtime';
import { GeomScene, RayRenderer } from './ray-renderer';

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function sceneOf(geoms: { type: number; size: number[]; position: number[]; rotation?: number[]; rgba?: number[] }[]): GeomScene {
  return {
    count: geoms.length,
    type: Int32Array.from(geoms.map((g) => g.type)),
    size: Float64Array.from(geoms.flatMap((g) => g.size)),
    rgba: Float32Array.from(geoms.flatMap((g) => g.rgba ?? [1, 0, 0, 1])),
    position: Float64Array.from(geoms.flatMap((g) => g.position)),
    rotation: Float64Array.from(geoms.flatMap((g) => g.rotation ?? IDENTITY)),
    // As MuJoCo computes geom_rbound: the radius of the sphere around the geom's centre that holds it.
    boundingRadius: Float64Array.from(geoms.map((g) => (g.type === MJ_GEOM.capsule ? g.size[0] + g.size[1] : g.type === MJ_GEOM.cylinder ? Math.hypot(g.size[0], g.size[1]) : Math.hypot(...g.size)))),
  };
}

/** Pixels whose colour is the geom's (red dominant) rather than the grey-blue backdrop. */
function coveredPixels(image: Float32Array): number {
  let n = 0;
  for (let i = 0; i < image.length; i += 3) if (image[i] > image[i + 2] + 0.15) n++;
  return n;
}

const size = 200;
const camera = { position: [0, -5, 0] as [number, number, number], target: [0, 0, 0] as [number, number, number], fovy: 40 };
const pixelsPerUnitAtDepth = (depth: number) => size / 2 / (depth * Math.tan((camera.fovy * Math.PI) / 360));

describe('RayRenderer', () => {
  it('draws a sphere as a disc of the radius perspective projection predicts', () => {
    const r = 0.6;
    const image = new Float32Array(size * size * 3);
    new RayRenderer(size, size, camera).render(sceneOf([{ type: MJ_GEOM.sphere, size: [r, 0, 0], position: [0, 0, 0] }]), image);
    // The silhouette's angular radius is asin(r / d); on the image plane that is tan(asin(r / d)).
    const angular = Math.tan(Math.asin(r / 5));
    const radiusPx = angular / Math.tan((camera.fovy * Math.PI) / 360) * (size / 2);
    expect(coveredPixels(image) / (Math.PI * radiusPx * radiusPx)).toBeCloseTo(1, 1);
  });

  it('draws a face-on box as a square of its projected side, and a quarter-turned box with swapped sides the same', () => {
    const image = new Float32Array(size * size * 3);
    const renderer = new RayRenderer(size, size, camera);
    renderer.render(sceneOf([{ type: MJ_GEOM.box, size: [0.5, 0.2, 0.3], position: [0, 0, 0] }]), image);
    // The front face (y = −0.2) is at depth 4.8; the sides recede and add nothing when centred.
    const expected = (1.0 * pixelsPerUnitAtDepth(4.8)) * (0.6 * pixelsPerUnitAtDepth(4.8));
    expect(coveredPixels(image) / expected).toBeCloseTo(1, 1);
    const turned = new Float32Array(size * size * 3);
    // Rotation by 90° about z: geom x becomes world y.
    renderer.render(sceneOf([{ type: MJ_GEOM.box, size: [0.2, 0.5, 0.3], position: [0, 0, 0], rotation: [0, -1, 0, 1, 0, 0, 0, 0, 1] }]), turned);
    let differing = 0;
    for (let i = 0; i < image.length; i++) if (Math.abs(image[i] - turned[i]) > 1e-5) differing++;
    expect(differing).toBe(0);
  });

  it('draws a capsule exactly where a cylinder and the spheres at its two ends are drawn', () => {
    const renderer = new RayRenderer(size, size, camera);
    // Axis along world x: the rotation takes geom z onto world x.
    const alongX = [0, 0, 1, 0, 1, 0, -1, 0, 0];
    const mask = (geom: { type: number; size: number[]; position: number[]; rotation?: number[] }) => {
      const image = new Float32Array(size * size * 3);
      renderer.render(sceneOf([geom]), image);
      return Array.from({ length: size * size }, (_, p) => image[3 * p] > image[3 * p + 2] + 0.15);
    };
    const capsule = mask({ type: MJ_GEOM.capsule, size: [0.2, 0.5, 0], position: [0, 0, 0], rotation: alongX });
    const cylinder = mask({ type: MJ_GEOM.cylinder, size: [0.2, 0.5, 0], position: [0, 0, 0], rotation: alongX });
    const left = mask({ type: MJ_GEOM.sphere, size: [0.2, 0, 0], position: [-0.5, 0, 0] });
    const right = mask({ type: MJ_GEOM.sphere, size: [0.2, 0, 0], position: [0.5, 0, 0] });
    const union = capsule.map((_, p) => cylinder[p] || left[p] || right[p]);
    expect(capsule.filter(Boolean).length).toBeGreaterThan(1000);
    expect(capsule.filter((c, p) => c !== union[p]).length).toBe(0);
    // And the cylinder alone, seen side-on, is close to its 1.0 × 0.4 outline.
    const k = pixelsPerUnitAtDepth(5);
    expect(cylinder.filter(Boolean).length / (1.0 * 0.4 * k * k)).toBeCloseTo(1, 1);
  });

  it('lights faces by Lambert’s law and darkens what lies in a shadow', () => {
    const renderer = new RayRenderer(64, 64, { position: [0, 0, 6], target: [0, 0.001, 0], fovy: 30 });
    const floor = { type: MJ_GEOM.plane, size: [0, 0, 0], position: [0, 0, 0], rgba: [0.8, 0.8, 0.8, 1] };
    const lit = new Float32Array(64 * 64 * 3);
    renderer.render(sceneOf([floor]), lit);
    // Floor normal is +z; the light's z component is 0.82 / |(0.45, −0.35, 0.82)|.
    const cosine = 0.82 / Math.hypot(0.45, -0.35, 0.82);
    const values = [];
    for (let i = 0; i < lit.length; i += 3) values.push(lit[i]);
    const brightest = Math.max(...values);
    const darkTile = 0.8 * 0.86;
    expect(Math.min(...values.filter((v) => v < 0.8 * (0.28 + 0.72 * cosine) - 0.02))).toBeGreaterThan(darkTile * (0.28 + 0.72 * cosine) - 0.02);
    expect(brightest).toBeGreaterThan(0.8 * (0.28 + 0.72 * cosine) - 0.01);
    // A sphere hovering above the floor casts a shadow onto it: some floor pixels become much darker.
    const shaded = new Float32Array(64 * 64 * 3);
    renderer.render(sceneOf([floor, { type: MJ_GEOM.sphere, size: [0.4, 0, 0], position: [0, 0, 1], rgba: [0.1, 0.1, 0.9, 1] }]), shaded);
    let shadowPixels = 0;
    for (let i = 0; i < shaded.length; i += 3) if (shaded[i + 2] < 0.5 && shaded[i] < darkTile * 0.4) shadowPixels++;
    expect(shadowPixels).toBeGreaterThan(20);
  });
});
