import { initBackend } from '@mmfuse/backend';
import { TokenAttentionFusion } from './token-attention-fusion';
import { TokenAttentionOptions } from './token-attention-options';
import {
  autodiffJacobian,
  createRng,
  finiteDifferenceJacobian,
  gaussianVector,
  maxAbs,
  maxAbsDifference,
  randomizeParameters,
  referenceJacobian,
  referenceWeights,
} from './testing/token-attention-reference';

beforeAll(async () => {
  await initBackend('cpu');
});

const WIDTHS: Record<number, number[]> = { 2: [3, 4], 3: [3, 4, 2] };

const CASES: Array<{ label: string; options: Partial<TokenAttentionOptions> }> = [
  { label: 'defaults', options: {} },
  { label: 'spectral norm', options: { spectralNorm: true } },
  { label: 'no residual', options: { residual: false } },
];

/** A fusion with seeded weights (σ > 1 for every matrix, so spectral normalisation acts), converged, and a sample. */
function fusionFor(M: number, H: number, options: Partial<TokenAttentionOptions>, seed: number): { fusion: TokenAttentionFusion; xs: number[][] } {
  const rng = createRng(seed);
  const fusion = new TokenAttentionFusion('fusion', WIDTHS[M], { tokenSize: 4, heads: H, ...options }, seed);
  randomizeParameters(fusion, rng, 1.1);
  fusion.refineSpectralEstimates(200);
  const xs = WIDTHS[M].map((d) => gaussianVector(rng, d, 0.8));
  return { fusion, xs };
}

describe.each([2, 3])('Jacobian of the token attention, M = %i', (M) => {
  describe.each([1, 2])('H = %i', (H) => {
    it.each(CASES)('by autodiff equals central differences of the float64 re-implementation: $label', ({ options }) => {
      const { fusion, xs } = fusionFor(M, H, options, 23 + M + H);
      const autodiff = autodiffJacobian(fusion, xs);
      const numeric = referenceJacobian(referenceWeights(fusion), xs, 1e-5);
      expect(autodiff).toHaveLength(M * 4);
      expect(autodiff[0]).toHaveLength(WIDTHS[M].reduce((a, b) => a + b, 0));
      // float64 differences are accurate to ~1e-10; what is left is float32 autodiff
      expect(maxAbsDifference(autodiff, numeric)).toBeLessThan(2e-5 * maxAbs(numeric));
      fusion.dispose();
    });

    it.each(CASES)('by autodiff equals central differences of the fusion itself (float32): $label', ({ options }) => {
      const { fusion, xs } = fusionFor(M, H, options, 37 + M + H);
      const autodiff = autodiffJacobian(fusion, xs);
      const numeric = finiteDifferenceJacobian(fusion, xs, 1e-2);
      // float32: truncation O(h²) plus rounding O(1e-7 · |f| / h)
      expect(maxAbsDifference(autodiff, numeric)).toBeLessThan(3e-3 * maxAbs(autodiff));
      fusion.dispose();
    });
  });
});
