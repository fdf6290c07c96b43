// Helpers shared by the specs (not part of the built package): a float64 re-implementation of the
// token attention in plain loops over one sample, which reads the fusion's parameters by name and
// the σ̂ its last forward call used, and its Jacobian by central differences.
import type { TokenAttentionFusion } from '../token-attention-fusion';

export * from '@mmfuse/testing';

/** A matrix as the fusion applies it, W = K̂ᵀ, as rows (out × in). */
type Matrix = number[][];

export interface ReferenceWeights {
  readonly tokens: Matrix[];
  readonly heads: { query: Matrix; key: Matrix; value: Matrix }[];
  readonly output: Matrix;
  readonly residual: boolean;
}

export interface ReferenceResult {
  readonly output: number[];
  /** A[h][i][j]. */
  readonly attention: number[][][];
  /** M · mean over h and i of A[h][i][j]. */
  readonly modalityWeights: number[];
}

/** The fusion's matrices in float64 as its last forward call applied them. */
export function referenceWeights(fusion: TokenAttentionFusion): ReferenceWeights {
  const sigmas = fusion.spectralEstimates();
  const matrix = (local: string): Matrix => {
    const name = `${fusion.name}/${local}/kernel`;
    const parameter = fusion.parameters.find((p) => p.name === name);
    if (!parameter) throw new Error(`no parameter ${name}`);
    const kernel = parameter.variable.arraySync() as number[][];
    const divisor = fusion.options.spectralNorm ? Math.max(1, sigmas[name]) : 1;
    return kernel[0].map((_, r) => kernel.map((row) => row[r] / divisor));
  };
  return {
    tokens: fusion.inputSizes.map((_, i) => matrix(`token${i}`)),
    heads: Array.from({ length: fusion.options.heads }, (_, h) => ({ query: matrix(`head${h}/query`), key: matrix(`head${h}/key`), value: matrix(`head${h}/value`) })),
    output: matrix('output'),
    residual: fusion.options.residual,
  };
}

function times(W: Matrix, x: readonly number[]): number[] {
  return W.map((row) => row.reduce((s, w, c) => s + w * x[c], 0));
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

/** The token attention for one sample, written from its definition. */
export function referenceForward(weights: ReferenceWeights, xs: readonly (readonly number[])[]): ReferenceResult {
  const M = xs.length;
  const t = xs.map((x, i) => times(weights.tokens[i], x));
  const headSize = weights.heads[0].query.length;
  const attention: number[][][] = [];
  const perHead = weights.heads.map(({ query, key, value }) => {
    const q = t.map((ti) => times(query, ti));
    const k = t.map((tj) => times(key, tj));
    const v = t.map((tj) => times(value, tj));
    const A = q.map((qi) => {
      const e = k.map((kj) => dot(qi, kj) / Math.sqrt(headSize));
      const top = Math.max(...e);
      const exps = e.map((s) => Math.exp(s - top));
      const total = exps.reduce((a, b) => a + b, 0);
      return exps.map((s) => s / total);
    });
    attention.push(A);
    return A.map((row) => v[0].map((_, c) => row.reduce((s, a, j) => s + a * v[j][c], 0)));
  });
  const output = t.flatMap((ti, i) => {
    const joined = perHead.flatMap((o) => o[i]);
    const mixed = times(weights.output, joined);
    return weights.residual ? mixed.map((m, c) => m + ti[c]) : mixed;
  });
  const modalityWeights = Array.from({ length: M }, (_, j) => (M * attention.reduce((s, A) => s + A.reduce((u, row) => u + row[j], 0), 0)) / (attention.length * M));
  return { output, attention, modalityWeights };
}

/** ∂f/∂x of the reference at one sample by central differences in float64, `[Σ M·D, Σ d_i]`. */
export function referenceJacobian(weights: ReferenceWeights, xs: readonly (readonly number[])[], h: number): number[][] {
  const columns: number[][] = [];
  xs.forEach((x, i) =>
    x.forEach((_, a) => {
      const shifted = (sign: number) => referenceForward(weights, xs.map((y, m) => (m === i ? y.map((v, b) => (b === a ? v + sign * h : v)) : y))).output;
      const plus = shifted(1);
      const minus = shifted(-1);
      columns.push(plus.map((p, r) => (p - minus[r]) / (2 * h)));
    }),
  );
  return columns[0].map((_, r) => columns.map((column) => column[r]));
}
