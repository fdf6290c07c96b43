/** Colours as [r, g, b] in [0, 1]. */
type Colour = [number, number, number];

export interface ArmPose {
  /** Base position, in image units (0..1 across the width, 0..1 down the height). */
  base: [number, number];
  /** Joint positions: elbow and end effector. */
  elbow: [number, number];
  hand: [number, number];
  /** Object on the table, and its radius. */
  object: [number, number];
  objectRadius: number;
}

const BACKGROUND_TOP: Colour = [0.16, 0.18, 0.24];
const BACKGROUND_BOTTOM: Colour = [0.32, 0.3, 0.27];
const UPPER_ARM: Colour = [0.95, 0.55, 0.12];
const FOREARM: Colour = [0.15, 0.75, 0.9];
const OBJECT: Colour = [0.3, 0.85, 0.3];
const JOINT: Colour = [0.95, 0.95, 0.95];

function segmentDistance(px: number, py: number, a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/**
 * Renders the arm into `out` (`size × size × 3`, values in [0, 1]): links drawn as shaded
 * cylinders (brightness falls off towards the rim so depth reads), joints as bright discs, a
 * sphere-shaded object, over a vertical background gradient. Anti-aliased by coverage.
 */
export function renderArm(pose: ArmPose, size: number, out: Float32Array, offset = 0): void {
  const linkRadius = 0.045;
  const jointRadius = 0.035;
  const aa = 1.2 / size;
  for (let y = 0; y < size; y++) {
    const py = (y + 0.5) / size;
    for (let x = 0; x < size; x++) {
      const px = (x + 0.5) / size;
      const mix = py;
      let colour: Colour = [
        BACKGROUND_TOP[0] * (1 - mix) + BACKGROUND_BOTTOM[0] * mix,
        BACKGROUND_TOP[1] * (1 - mix) + BACKGROUND_BOTTOM[1] * mix,
        BACKGROUND_TOP[2] * (1 - mix) + BACKGROUND_BOTTOM[2] * mix,
      ];
      const paint = (distance: number, radius: number, base: Colour) => {
        const coverage = Math.max(0, Math.min(1, (radius - distance) / aa + 0.5));
        if (coverage <= 0) return;
        const rim = Math.min(1, distance / radius);
        const shade = 0.45 + 0.55 * Math.sqrt(Math.max(0, 1 - rim * rim));
        colour = [0, 1, 2].map((c) => colour[c] * (1 - coverage) + base[c] * shade * coverage) as Colour;
      };
      paint(Math.hypot(px - pose.object[0], py - pose.object[1]), pose.objectRadius, OBJECT);
      paint(segmentDistance(px, py, pose.base, pose.elbow), linkRadius, UPPER_ARM);
      paint(segmentDistance(px, py, pose.elbow, pose.hand), linkRadius * 0.8, FOREARM);
      paint(Math.hypot(px - pose.elbow[0], py - pose.elbow[1]), jointRadius, JOINT);
      paint(Math.hypot(px - pose.hand[0], py - pose.hand[1]), jointRadius * 0.8, JOINT);
      const index = offset + (y * size + x) * 3;
      out[index] = colour[0];
      out[index + 1] = colour[1];
      out[index + 2] = colour[2];
    }
  }
}
