import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mmfuse/backend';
import type { ModalitySpec } from '@mmfuse/core';
import { MlpEncoder } from '@mmfuse/encoders';
import { ConcatFusion } from '@mmfuse/fusion-concat';
import { SumFusion } from '@mmfuse/fusion-sum';
import { randomArray, spectralNorm, toRows } from '../test-support/reference';
import { CertifiedBoundEstimator } from './certified-bound';
import { JacobianSpectralEstimator } from './jacobian-spectral';
import { functionTarget } from './lipschitz-target';
import { encoderTarget } from './sub-model-targets';
import { fusionOfEncodersBounds } from './theorem-3-3';

beforeAll(async () => {
  await initBackend('cpu');
});

const vector = (name: string, size: number): ModalitySpec => ({ name, kind: 'vector', shape: [size] });

/** Linear encoders h_m = x_m W_m + b_m (one dense layer, no activation). */
function linearEncoder(name: string, inputs: number, latent: number, seed: number): { encoder: MlpEncoder; rows: number[][] } {
  const encoder = new MlpEncoder(`encoder:${name}`, vector(name, inputs), { units: [], latentSize: latent, activation: 'linear', activateLast: false, init: 'glorot' }, seed);
  return { encoder, rows: toRows(encoder.parameters[0].variable.dataSync(), inputs, latent) };
}

describe('Theorem 3.3 with linear encoders', () => {
  let first: ReturnType<typeof linearEncoder>;
  let second: ReturnType<typeof linearEncoder>;
  let l1: number;
  let l2: number;
  beforeAll(() => {
    first = linearEncoder('a', 5, 4, 1);
    second = linearEncoder('b', 3, 4, 2);
    l1 = spectralNorm(first.rows);
    l2 = spectralNorm(second.rows);
  });
  afterAll(() => [first, second].forEach((e) => e.encoder.dispose()));

  /** The fused map on separate inputs: (x_1, x_2) ↦ A(E_1(x_1), E_2(x_2)) on concatenated rows. */
  const separate = (fusion: SumFusion | ConcatFusion) =>
    functionTarget(`${fusion.getConfig().type} of separate inputs`, (x) => {
      const [x1, x2] = tf.split(x, [5, 3], 1);
      return fusion.apply([first.encoder.apply(x1), second.encoder.apply(x2)]);
    }, [8]);
  const estimate = async (target: ReturnType<typeof separate>) => (await new JacobianSpectralEstimator({ iterations: 60 }).estimate(target, tf.tensor2d(randomArray(24, 9), [3, 8]), 1)).value;

  it('certifies each encoder at its spectral norm', async () => {
    const certified = new CertifiedBoundEstimator();
    for (const [e, l] of [[first, l1], [second, l2]] as const) {
      const bound = (await certified.estimate(encoderTarget(e.encoder)))!.value;
      expect(bound).toBeGreaterThanOrEqual(l);
      expect(bound / l).toBeLessThan(1.003);
    }
  });

  it('gives concat on separate inputs the constant max_m L_m: the bound, attained', async () => {
    const bounds = fusionOfEncodersBounds([l1, l2], 'separate-inputs');
    expect(bounds.concat).toMatchObject({ fusion: 'concat', convention: 'separate-inputs', bound: 'upper', formula: 'max_m L_m' });
    expect(bounds.concat.value).toBeCloseTo(Math.max(l1, l2), 12);
    const value = await estimate(separate(new ConcatFusion('fusion', [4, 4])));
    expect(value).toBeCloseTo(Math.max(l1, l2), 4);
    expect(value).toBeLessThanOrEqual(bounds.concat.value * (1 + 1e-5));
  });

  it('gives sum on separate inputs the constant ‖[W_1; W_2]‖₂, within √(Σ L_m²)', async () => {
    const stacked = spectralNorm([...first.rows, ...second.rows]);
    const bounds = fusionOfEncodersBounds([l1, l2], 'separate-inputs');
    expect(bounds.sum.value).toBeCloseTo(Math.sqrt(l1 ** 2 + l2 ** 2), 12);
    const value = await estimate(separate(new SumFusion('fusion', [4, 4])));
    expect(value).toBeCloseTo(stacked, 4);
    expect(stacked).toBeLessThanOrEqual(bounds.sum.value);
    // Separate inputs: the sum is rougher than concat, but never by more than √M.
    expect(stacked).toBeGreaterThanOrEqual(Math.max(l1, l2) - 1e-9);
  });

  it('bounds sum and concat of one shared input by Σ L_m and √(Σ L_m²)', async () => {
    const a = linearEncoder('c', 5, 4, 3);
    const b = linearEncoder('d', 5, 4, 4);
    const [la, lb] = [spectralNorm(a.rows), spectralNorm(b.rows)];
    const bounds = fusionOfEncodersBounds([la, lb], 'shared-input');
    expect(bounds.sum).toMatchObject({ convention: 'shared-input', formula: 'Σ_m L_m', value: la + lb });
    expect(bounds.concat.value).toBeCloseTo(Math.hypot(la, lb), 12);
    const shared = (fusion: SumFusion | ConcatFusion) => functionTarget('shared', (x) => fusion.apply([a.encoder.apply(x), b.encoder.apply(x)]), [5]);
    const x = tf.tensor2d(randomArray(10, 5), [2, 5]);
    const sum = (await new JacobianSpectralEstimator({ iterations: 60 }).estimate(shared(new SumFusion('fusion', [4, 4])), x)).value;
    const concat = (await new JacobianSpectralEstimator({ iterations: 60 }).estimate(shared(new ConcatFusion('fusion', [4, 4])), x)).value;
    const sumExact = spectralNorm(a.rows.map((row, i) => row.map((v, j) => v + b.rows[i][j])));
    const concatExact = spectralNorm(a.rows.map((row, i) => [...row, ...b.rows[i]]));
    expect(sum).toBeCloseTo(sumExact, 4);
    expect(concat).toBeCloseTo(concatExact, 4);
    expect(sumExact).toBeLessThanOrEqual(bounds.sum.value);
    expect(concatExact).toBeLessThanOrEqual(bounds.concat.value);
    [a, b].forEach((e) => e.encoder.dispose());
    x.dispose();
  });

  it('refuses constants that are not non-negative numbers', () => {
    expect(() => fusionOfEncodersBounds([], 'shared-input')).toThrow('at least one encoder');
    expect(() => fusionOfEncodersBounds([1, NaN], 'separate-inputs')).toThrow('non-negative');
  });
});
