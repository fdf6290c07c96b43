import { normal, permutation } from '@mmfuse/core';
import { clamp01, imageFailure, randomInt, uniform } from './failure-support';
import type { FailureDefinition } from './failure-types';
import { blendGrey, blur, forEachPixelNear, luminance, sampleBilinear, shiftHue, tintFor } from './image-ops';
import { createPerlinNoise2D } from './perlin-noise';

/*
 * Image failures on row-major HWC images in [0, 1] (index (y·W + x)·C + c; pixel centres at
 * integer coordinates). Sizes are relative to the image so a 32-pixel camera frame and a
 * 256-pixel one look alike. The nine follow the reference set of Altinses et al. (IECON 2023).
 */

const JITTER_BRIGHTNESS = 0.5;
const JITTER_CONTRAST = 0.5;
const JITTER_SATURATION = 0.5;
const JITTER_HUE = 0.1;
/** The reference 25×25 kernel, and σ range for 256-pixel images. */
const BLUR_MAX_RADIUS = 12;
const BLUR_SIGMA_MIN = 1;
const BLUR_SIGMA_MAX = 9;
const BLUR_REFERENCE_SIZE = 256;
const PERLIN_AMPLITUDE = 0.5;
const PERLIN_OCTAVES = 4;
const PIXEL_REPLACED_SHARE = 0.3;

const colorJitter = imageFailure(
  {
    type: 'color-jitter',
    label: 'Colour jitter',
    description: `Brightness, contrast and saturation factors in [${1 - JITTER_BRIGHTNESS}, ${1 + JITTER_BRIGHTNESS}] and a hue shift of up to ±${JITTER_HUE} turn, in random order (saturation and hue only for RGB).`,
  },
  (image, dims, severity, rng) => {
    const pixels = dims.height * dims.width;
    const factor = (range: number) => uniform(rng, 1 - range * severity, 1 + range * severity);
    const clampAll = () => {
      for (let i = 0; i < image.length; i++) image[i] = clamp01(image[i]);
    };
    const adjustments = [
      () => {
        const f = factor(JITTER_BRIGHTNESS);
        for (let i = 0; i < image.length; i++) image[i] *= f;
      },
      () => {
        const f = factor(JITTER_CONTRAST);
        let mean = 0;
        for (let p = 0; p < pixels; p++) mean += luminance(image, p * dims.channels, dims.channels);
        mean /= pixels;
        for (let i = 0; i < image.length; i++) image[i] = mean + f * (image[i] - mean);
      },
      () => {
        if (dims.channels !== 3) return;
        const f = factor(JITTER_SATURATION);
        for (let p = 0; p < pixels; p++) {
          const grey = luminance(image, p * 3, 3);
          for (let c = 0; c < 3; c++) image[p * 3 + c] = grey + f * (image[p * 3 + c] - grey);
        }
      },
      () => {
        if (dims.channels !== 3) return;
        shiftHue(image, uniform(rng, -JITTER_HUE, JITTER_HUE) * severity);
      },
    ];
    // Each step is clipped, as a camera pipeline would, before the next one sees the image.
    for (const k of permutation(adjustments.length, rng)) {
      adjustments[k]();
      clampAll();
    }
  },
);

const gaussianBlur = imageFailure(
  {
    type: 'gaussian-blur',
    label: 'Gaussian blur',
    description: `Separable Gaussian blur, 25×25 kernel with σ in [${BLUR_SIGMA_MIN}, ${BLUR_SIGMA_MAX}] for ${BLUR_REFERENCE_SIZE}-pixel images; radius min(${BLUR_MAX_RADIUS}, side/5) and σ × side/${BLUR_REFERENCE_SIZE} for smaller ones.`,
  },
  (image, dims, severity, rng) => {
    const side = Math.min(dims.height, dims.width);
    // The reference parameters would erase a 32-pixel image, so both shrink with the image.
    const sigma = severity * uniform(rng, BLUR_SIGMA_MIN, BLUR_SIGMA_MAX) * Math.min(1, side / BLUR_REFERENCE_SIZE);
    const radius = Math.min(BLUR_MAX_RADIUS, Math.max(1, Math.round(side / 5)), Math.max(1, Math.ceil(3 * sigma)));
    blur(image, dims, sigma, radius);
  },
);

const dust = imageFailure(
  {
    type: 'dust',
    label: 'Dust',
    description: 'About 1.2% of the pixels get a small dark-to-grey speck (radius ≈ 0.3–1.2 px per 128 px), plus 1–5 soft grey blotches of 3–10% of the image side.',
  },
  (image, dims, severity, rng) => {
    const side = Math.min(dims.height, dims.width);
    const pixelScale = Math.max(1, side / 128);
    const specks = Math.max(1, Math.round(0.012 * severity * dims.height * dims.width));
    for (let s = 0; s < specks; s++) {
      const cx = uniform(rng, 0, dims.width - 1);
      const cy = uniform(rng, 0, dims.height - 1);
      const radius = uniform(rng, 0.3, 1.2) * pixelScale;
      const level = uniform(rng, 0.05, 0.5);
      const opacity = uniform(rng, 0.5, 1);
      // Coverage of a disc by a pixel, approximated by a one-pixel linear ramp at the edge.
      forEachPixelNear(dims, cx, cy, radius + 0.5, (x, y, d) => blendGrey(image, dims, x, y, level, opacity * clamp01(radius + 0.5 - d)));
    }
    const blotches = Math.round(severity * randomInt(rng, 1, 5));
    for (let b = 0; b < blotches; b++) {
      const cx = uniform(rng, 0, dims.width - 1);
      const cy = uniform(rng, 0, dims.height - 1);
      const spread = Math.max(0.5, uniform(rng, 0.03, 0.1) * side);
      const level = uniform(rng, 0.2, 0.5);
      const opacity = uniform(rng, 0.15, 0.4);
      forEachPixelNear(dims, cx, cy, 3 * spread, (x, y, d) => blendGrey(image, dims, x, y, level, opacity * Math.exp(-(d * d) / (2 * spread * spread))));
    }
  },
);

const lensFlare = imageFailure(
  {
    type: 'lens-flare',
    label: 'Lens flare',
    description: 'Additive warm glow (σ 8–20% of the diagonal, peak 0.5–1) at a random light source plus 3–6 tinted ghost discs on the line through it and the image centre; clipped to [0, 1].',
  },
  (image, dims, severity, rng) => {
    const { height, width, channels } = dims;
    const diagonal = Math.hypot(height, width);
    const light = [uniform(rng, 0, width - 1), uniform(rng, 0, height - 1)];
    const centre = [(width - 1) / 2, (height - 1) / 2];
    const glowSpread = uniform(rng, 0.08, 0.2) * diagonal;
    const glowPeak = severity * uniform(rng, 0.5, 1);
    const glowTint = tintFor(dims, [1, uniform(rng, 0.85, 1), uniform(rng, 0.6, 0.85)]);
    const ghosts = Array.from({ length: randomInt(rng, 3, 6) }, () => {
      // Ghosts are reflections between lens elements: they lie on the line through the light and the optical centre.
      const along = uniform(rng, -0.6, 1.4);
      return {
        x: centre[0] + along * (centre[0] - light[0]),
        y: centre[1] + along * (centre[1] - light[1]),
        radius: Math.max(1, uniform(rng, 0.02, 0.08) * diagonal),
        peak: severity * uniform(rng, 0.08, 0.25),
        tint: tintFor(dims, [uniform(rng, 0.5, 1), uniform(rng, 0.5, 1), uniform(rng, 0.5, 1)]),
      };
    });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const base = (y * width + x) * channels;
        const dGlow = Math.hypot(x - light[0], y - light[1]);
        const glow = glowPeak * Math.exp(-(dGlow * dGlow) / (2 * glowSpread * glowSpread));
        for (let c = 0; c < channels; c++) image[base + c] += glow * glowTint[c];
        for (const ghost of ghosts) {
          const d = Math.hypot(x - ghost.x, y - ghost.y);
          if (d >= ghost.radius + 1) continue;
          // A disc with a soft edge, a little brighter towards its rim as real ghosts are.
          const edge = clamp01((ghost.radius + 1 - d) / Math.max(1, 0.15 * ghost.radius));
          const strength = ghost.peak * edge * (0.6 + 0.4 * Math.min(1, d / ghost.radius));
          for (let c = 0; c < channels; c++) image[base + c] += strength * ghost.tint[c];
        }
      }
    }
  },
);

const waterDrops = imageFailure(
  {
    type: 'water-drops',
    label: 'Water drops',
    description: '3–8 round drops (radius 4–12% of the side) that magnify and blur what lies beneath (≈3× at the centre), with a bright rim and a highlight.',
  },
  (image, dims, severity, rng) => {
    const side = Math.min(dims.height, dims.width);
    const underneath = image.slice();
    blur(underneath, dims, Math.max(0.6, 0.015 * side), Math.max(1, Math.ceil(0.045 * side)));
    const drops = Math.max(1, Math.round(severity * randomInt(rng, 3, 8)));
    for (let k = 0; k < drops; k++) {
      const cx = uniform(rng, 0, dims.width - 1);
      const cy = uniform(rng, 0, dims.height - 1);
      const radius = Math.max(2, uniform(rng, 0.04, 0.12) * side);
      const highlight = [cx - 0.35 * radius, cy - 0.35 * radius];
      forEachPixelNear(dims, cx, cy, radius, (x, y, d) => {
        const rho = d / radius;
        // A drop acts as a lens: sampling closer to its centre magnifies, most strongly in the middle.
        const pull = 0.35 + 0.45 * rho * rho;
        const sx = cx + (x - cx) * pull;
        const sy = cy + (y - cy) * pull;
        const rim = 0.35 * Math.exp(-(((rho - 0.9) / 0.08) ** 2));
        const dh = Math.hypot(x - highlight[0], y - highlight[1]) / (0.15 * radius);
        const shine = 0.5 * Math.exp(-0.5 * dh * dh);
        const base = (y * dims.width + x) * dims.channels;
        for (let c = 0; c < dims.channels; c++) image[base + c] = sampleBilinear(underneath, dims, sx, sy, c) + rim + shine;
      });
    }
  },
);

const scratches = imageFailure(
  {
    type: 'scratches',
    label: 'Scratches',
    description: '2–8 thin anti-aliased bright or dark strokes (straight segments or arcs, 20–80% of the side long, ≈1–2 px wide).',
  },
  (image, dims, severity, rng) => {
    const side = Math.min(dims.height, dims.width);
    const coverage = new Float32Array(dims.height * dims.width);
    const count = Math.max(1, Math.round(severity * randomInt(rng, 2, 8)));
    for (let s = 0; s < count; s++) {
      const length = uniform(rng, 0.2, 0.8) * side;
      const angle = uniform(rng, 0, 2 * Math.PI);
      const start = [uniform(rng, 0, dims.width - 1), uniform(rng, 0, dims.height - 1)];
      const end = [start[0] + length * Math.cos(angle), start[1] + length * Math.sin(angle)];
      // The control point of a quadratic Bézier, off the chord by up to 30% of its length: 0 gives a straight scratch.
      const bend = uniform(rng, -0.3, 0.3) * length;
      const control = [(start[0] + end[0]) / 2 - bend * Math.sin(angle), (start[1] + end[1]) / 2 + bend * Math.cos(angle)];
      const halfWidth = uniform(rng, 0.4, 0.9);
      const level = rng() < 0.5 ? uniform(rng, 0.8, 1) : uniform(rng, 0, 0.2);
      const opacity = uniform(rng, 0.6, 1) * Math.min(1, 0.5 + severity);
      coverage.fill(0);
      const touched: number[] = [];
      const points = Math.max(2, Math.ceil(length * 4));
      for (let i = 0; i <= points; i++) {
        const t = i / points;
        const px = (1 - t) * (1 - t) * start[0] + 2 * (1 - t) * t * control[0] + t * t * end[0];
        const py = (1 - t) * (1 - t) * start[1] + 2 * (1 - t) * t * control[1] + t * t * end[1];
        forEachPixelNear(dims, px, py, halfWidth + 1, (x, y, d) => {
          const p = y * dims.width + x;
          const cover = clamp01(halfWidth + 0.5 - d);
          if (cover > coverage[p]) {
            if (coverage[p] === 0) touched.push(p);
            coverage[p] = cover;
          }
        });
      }
      for (const p of touched) blendGrey(image, dims, p % dims.width, Math.floor(p / dims.width), level, opacity * coverage[p]);
    }
  },
);

const perlinNoise = imageFailure(
  {
    type: 'perlin-noise',
    label: 'Perlin noise',
    description: `Added grey Perlin gradient noise, ${PERLIN_OCTAVES} octaves (coarsest cell a quarter of the side, persistence 0.5), amplitude ${PERLIN_AMPLITUDE}; clipped to [0, 1].`,
  },
  (image, dims, severity, rng) => {
    const noise = createPerlinNoise2D(rng);
    const coarsestCell = Math.max(2, Math.min(dims.height, dims.width) / 4);
    const octaves = Array.from({ length: PERLIN_OCTAVES }, (_, k) => ({
      frequency: 2 ** k / coarsestCell,
      weight: 0.5 ** k,
      // A random offset per octave, so that the octaves' lattices (where noise is 0) do not line up.
      dx: uniform(rng, 0, 256),
      dy: uniform(rng, 0, 256),
    }));
    const totalWeight = octaves.reduce((sum, o) => sum + o.weight, 0);
    const amplitude = (PERLIN_AMPLITUDE * severity) / totalWeight;
    for (let y = 0; y < dims.height; y++) {
      for (let x = 0; x < dims.width; x++) {
        let value = 0;
        for (const o of octaves) value += o.weight * noise(x * o.frequency + o.dx, y * o.frequency + o.dy);
        const base = (y * dims.width + x) * dims.channels;
        for (let c = 0; c < dims.channels; c++) image[base + c] += amplitude * value;
      }
    }
  },
);

const pixelGaussian = imageFailure(
  {
    type: 'pixel-gaussian',
    label: 'Gaussian pixels',
    description: `Each pixel with probability ${PIXEL_REPLACED_SHARE} replaced by Gaussian values (mean 0.5, std 0.25 per channel, clipped).`,
  },
  (image, dims, severity, rng) => {
    const share = PIXEL_REPLACED_SHARE * severity;
    for (let base = 0; base < image.length; base += dims.channels) {
      if (rng() >= share) continue;
      for (let c = 0; c < dims.channels; c++) image[base + c] = clamp01(0.5 + 0.25 * normal(rng));
    }
  },
);

const pixelConstant = imageFailure(
  {
    type: 'pixel-constant',
    label: 'Constant pixels',
    description: `Each pixel with probability ${PIXEL_REPLACED_SHARE} replaced by one grey level drawn per image in [0, 1] (dead or saturated pixels).`,
  },
  (image, dims, severity, rng) => {
    const share = PIXEL_REPLACED_SHARE * severity;
    const level = rng();
    for (let base = 0; base < image.length; base += dims.channels) {
      if (rng() < share) image.fill(level, base, base + dims.channels);
    }
  },
);

export const IMAGE_FAILURES: readonly FailureDefinition[] = [colorJitter, gaussianBlur, dust, lensFlare, waterDrops, scratches, perlinNoise, pixelGaussian, pixelConstant];
