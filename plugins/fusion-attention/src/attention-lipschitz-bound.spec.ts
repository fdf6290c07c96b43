import { initBackend } from '@mmfuse/backend';
import { AttentionFusion } from './attention-fusion';
import { AttentionFusionOptions } from './attention-fusion-options';
import { attentionLipschitzBound, bilinearBlockMatrix, nonNegativeSpectralNormBound } from './attention-lipschitz-bound';
import {
  autodiffJacobian,
  createRng,
  empiricalEstimates,
  gaussianMatrix,
  randomizeParameters,
  setProjection,
  spectralNorm,
  vectorOfNorm,
} from './testing/fusion-test-utils';

beforeAll(async () => {
  await initBackend('cpu');
});

const RAW: Partial<AttentionFusionOptions> = { normalizeInputs: false, spectralNorm: false, scaleScores: false };

interface BoundCase {
  readonly label: string;
  readonly options: Partial<AttentionFusionOptions>;
  /** Standard deviation of the random weights. */
  readonly std: number;
  readonly rho: number;
  readonly R: number;
}

const CASES: BoundCase[] = [
  { label: 'raw inputs, unscaled', options: RAW, std: 0.6, rho: 0, R: 1.5 },
  { label: 'raw inputs, scores / √k', options: { ...RAW, scaleScores: true }, std: 0.6, rho: 0, R: 1.5 },
  { label: 'raw inputs, spectral norm (σ > 1), unscaled', options: { ...RAW, spectralNorm: true }, std: 1.2, rho: 0, R: 2 },
  { label: 'raw inputs, spectral norm, scores / √k', options: { ...RAW, spectralNorm: true, scaleScores: true }, std: 1.2, rho: 0, R: 2 },
  { label: 'normalised inputs, α scales x_i (defaults)', options: {}, std: 1.2, rho: 0.5, R: 2 },
  { label: 'normalised inputs without spectral norm, unscaled', options: { spectralNorm: false, scaleScores: false }, std: 0.8, rho: 0.5, R: 2 },
  { label: 'normalised inputs, α scales x̂_i', options: { scale: 'normalized' }, std: 1.2, rho: 0.5, R: 2 },
  { label: 'mlp projections, raw inputs', options: { ...RAW, projection: 'mlp' }, std: 0.5, rho: 0, R: 1.5 },
  { label: 'mlp projections, normalised inputs, spectral norm, scaled', options: { projection: 'mlp' }, std: 1, rho: 0.5, R: 2 },
];

describe.each([2, 3])('certified Lipschitz bound of the attention fusion, M = %i', (M) => {
  const widths = M === 2 ? [4, 3] : [4, 3, 5];

  it.each(CASES)('is at least every empirical estimate: $label', ({ options, std, rho, R }) => {
    const rng = createRng(`bound-${M}-${JSON.stringify(options)}`);
    const fusion = new AttentionFusion('fusion', widths, { projectionSize: 4, ...options }, 3);
    randomizeParameters(fusion, rng, std);
    fusion.refineSpectralEstimates(300);
    const certificate = fusion.certifiedLipschitz({ inputRadius: R, minInputNorm: rho });
    const estimates = empiricalEstimates(fusion, rng, rho, R);
    expect(Number.isFinite(certificate.value)).toBe(true);
    expect(estimates.jacobian).toBeGreaterThan(0);
    expect(estimates.jacobian).toBeLessThanOrEqual(certificate.value);
    expect(estimates.quotient).toBeLessThanOrEqual(certificate.value);
    expect(certificate.assumptions).toContain(`R = ${R}`);
    fusion.dispose();
  });

  it('is attained in Theorem 4.1\'s case at W_i = w·I and equal latents on the sphere: 3w²R²/c', () => {
    for (const scaleScores of [false, true]) {
      const d = 4;
      const w = 1.3;
      const R = 1.7;
      const fusion = new AttentionFusion('fusion', new Array(M).fill(d), { ...RAW, scaleScores }, 1);
      for (let i = 0; i < M; i++) setProjection(fusion, i, gaussianMatrix(createRng(i), d, d, 0).map((row, r) => row.map((_, c) => (r === c ? w : 0))));
      const c = scaleScores ? Math.sqrt(d) : 1;
      const certificate = fusion.certifiedLipschitz({ inputRadius: R });
      const x = vectorOfNorm(createRng(9), d, R);
      const local = spectralNorm(autodiffJacobian(fusion, new Array(M).fill(x)));
      expect(local).toBeCloseTo((3 * w * w * R * R) / c, 4);
      expect(certificate.value).toBeGreaterThanOrEqual(local * (1 - 1e-6));
      // the certificate's only slack here is the float64 σ_max upper bound (≤ 4^{1/1024} per factor)
      expect(certificate.value / local).toBeLessThan(1.003);
      fusion.dispose();
    }
  });

  it('is below Theorem 4.1\'s √(8 + 2M/(M−1))·w²R²/c for raw linear projections', () => {
    const rng = createRng(`theorem-${M}`);
    const fusion = new AttentionFusion('fusion', widths, { ...RAW, scaleScores: true, projectionSize: 4 }, 3);
    randomizeParameters(fusion, rng, 0.7);
    const w = Math.max(...fusion.projectionMatrices().map(spectralNorm));
    const R = 1.5;
    const theorem = (Math.sqrt(8 + (2 * M) / (M - 1)) * w * w * R * R) / 2;
    expect(fusion.certifiedLipschitz({ inputRadius: R }).value).toBeLessThanOrEqual(theorem * (1 + 1e-3));
    fusion.dispose();
  });
});

describe('attentionLipschitzBound', () => {
  const layers = (w: number) => [{ spectralNorm: w, biasNorm: 0 }];

  it('reduces to 3w²R²/c for equal linear projections and any M (the block matrix has equal row sums)', () => {
    for (const M of [2, 3, 4, 7]) {
      const T = bilinearBlockMatrix(new Array(M).fill(0.8 * 1.5), new Array(M).fill(0.8), 1.5, 1, 2);
      expect(nonNegativeSpectralNormBound(T)).toBeCloseTo((3 * 0.64 * 2.25) / 2, 10);
      const certificate = attentionLipschitzBound(
        { projections: new Array(M).fill(layers(0.8)), normalizeInputs: false, epsilon: 1e-12, scoreScale: 2, scale: 'input' },
        { inputRadius: 1.5 },
      );
      expect(certificate.value).toBeCloseTo((3 * 0.64 * 2.25) / 2, 10);
    }
  });

  it('bounds the spectral norm of non-negative matrices from above, tightly', () => {
    const rng = createRng('nonneg');
    for (let trial = 0; trial < 20; trial++) {
      const T = gaussianMatrix(rng, 3, 3).map((row) => row.map(Math.abs));
      const exact = spectralNorm(T);
      const bound = nonNegativeSpectralNormBound(T);
      expect(bound).toBeGreaterThanOrEqual(exact);
      expect(bound).toBeLessThan(exact * (1 + 1e-9));
    }
  });

  it('has no finite value when the output scales raw latents and no radius is given', () => {
    const inputs = { projections: [layers(1), layers(1)], normalizeInputs: false, epsilon: 1e-12, scoreScale: 1, scale: 'input' as const };
    expect(attentionLipschitzBound(inputs).value).toBe(Infinity);
    expect(attentionLipschitzBound(inputs).assumptions).toContain('pass inputRadius');
    expect(attentionLipschitzBound({ ...inputs, normalizeInputs: true }).value).toBe(Infinity);
  });

  it('needs no radius when α scales the normalised latents, and then grows like 1/max(ε, ρ)', () => {
    const inputs = { projections: [layers(1), layers(1)], normalizeInputs: true, epsilon: 1e-6, scoreScale: 1, scale: 'normalized' as const };
    // P = 1, Λ = Γ = 1/ρ, V = 1: T = [[2, 1], [1, 2]] / ρ
    expect(attentionLipschitzBound(inputs, { minInputNorm: 0.25 }).value).toBeCloseTo(3 / 0.25, 9);
    expect(attentionLipschitzBound(inputs).value).toBeCloseTo(3 / 1e-6, 3);
    expect(attentionLipschitzBound(inputs).assumptions).toContain('give minInputNorm');
  });

  it('says it uses its domain exactly when the value differs from the certificate without one', () => {
    const epsilon = 1e-3;
    const domains = [{ inputRadius: 2 }, { inputRadius: 2, minInputNorm: 0.5 }, { inputRadius: 5e-4 }, { inputRadius: 2, minInputNorm: 5e-4 }, { inputRadius: 5e-4, minInputNorm: 1e-4 }];
    let used = 0;
    for (const normalizeInputs of [false, true]) {
      for (const scale of ['input', 'normalized'] as const) {
        for (const gate of ['linear', 'softmax'] as const) {
          const inputs = { projections: [layers(0.9), [{ spectralNorm: 1.1, biasNorm: 0.2 }]], normalizeInputs, epsilon, scoreScale: 2, scale, gate };
          const everywhere = attentionLipschitzBound(inputs).value;
          for (const domain of domains) {
            const certificate = attentionLipschitzBound(inputs, domain);
            expect(certificate.usesDomain).toBe(certificate.value !== everywhere);
            if (certificate.usesDomain) used++;
          }
        }
      }
    }
    // Both answers occur: raw latents always need R; normalised ones only R < ε or ρ > ε.
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(4 * 2 * domains.length);
  });

  it('rejects an empty or malformed domain', () => {
    const inputs = { projections: [layers(1), layers(1)], normalizeInputs: true, epsilon: 1e-6, scoreScale: 1, scale: 'input' as const };
    expect(() => attentionLipschitzBound(inputs, { inputRadius: 1, minInputNorm: 2 })).toThrow('minInputNorm (2) exceeds inputRadius (1): the domain is empty');
    expect(() => attentionLipschitzBound(inputs, { inputRadius: -1 })).toThrow('inputRadius must be a positive finite number, got -1');
  });
});
