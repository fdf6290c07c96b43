import { sampleIndices, seededUniform } from './deterministic-random';
import { MatrixInput, toDense } from './matrix-input';
import { EigenSolver, EigenSolverReport, leadingEigenpairs } from './symmetric-eigen';

export interface KernelPcaOptions {
  /**
   * Number of components k. Default: the fewest whose eigenvalues reach `varianceFraction` of the
   * centred kernel's total variance (its trace), at most {@link MAX_DEFAULT_COMPONENTS} and n − 1.
   * Never more than the kernel has positive eigenvalues; `model.components` says how many were kept.
   */
  components?: number;
  /** Share of the centred kernel's variance the default component count must reach; default 0.95. */
  varianceFraction?: number;
  /** RBF width in k(x, y) = exp(−γ‖x − y‖²). Default: the median heuristic, see {@link medianHeuristicGamma}. */
  gamma?: number;
  /**
   * At most this many points are fitted (default 1,500); above it a seeded random subset is used.
   * The kernel matrix has n² entries (18 MB at 1,500) and the eigenvectors cost O(n²) per Krylov
   * vector, O(n³) with the dense solver, so fitting on all of a large latent set buys little.
   */
  maxFit?: number;
  /** Seed of the subsample, the median-heuristic pairs and the Krylov start block; default 0. */
  seed?: number;
  /** Eigen solver for the centred kernel; default `auto` (see {@link EigenSolver}). */
  solver?: EigenSolver;
}

/** Cap on the default number of components. */
export const MAX_DEFAULT_COMPONENTS = 32;
/** Pairs the median heuristic looks at, at most. */
export const MEDIAN_HEURISTIC_PAIRS = 1000;
/** Eigenvalues below this fraction of the largest are treated as zero: they are rounding (≈ n·ε·λ₁), and 1/√λ would amplify it. */
export const RELATIVE_EIGENVALUE_FLOOR = 1e-10;

/** A fitted RBF kernel PCA. Projections are n × k, row-major, in one Float64Array. */
export interface KernelPcaModel {
  readonly gamma: number;
  /** k, the number of components kept. */
  readonly components: number;
  /** Eigenvalues λ₁ ≥ … ≥ λ_k > 0 of the centred kernel matrix K_c = H K H (not divided by n). */
  readonly eigenvalues: Float64Array;
  /** trace(K_c) = Σ of all its eigenvalues: the total variance of the fitted points in feature space (times n). */
  readonly totalVariance: number;
  /** Σ kept eigenvalues / trace(K_c). */
  readonly explainedVarianceRatio: number;
  /** Width d of the input rows. */
  readonly inputDimension: number;
  /** Which input rows were fitted (all of them unless there were more than `maxFit`), ascending. */
  readonly fitIndices: Int32Array;
  /** Projections of the fitted points, √λ_c · v_c (n_fit × k): mean 0, per-component variance λ_c / n_fit. */
  readonly trainingProjections: Float64Array;
  /** {@link KernelPcaModel.residuals} of the fitted points. */
  readonly trainingResiduals: Float64Array;
  readonly solver: EigenSolverReport;
  /** Projections of new points onto the components (n_Y × k, row-major). */
  transform(y: MatrixInput): Float64Array;
  /**
   * Squared feature-space reconstruction error per point, ‖φ(y) − φ̄‖² − ‖z(y)‖²: the part of the
   * centred feature vector outside the k components (Hoffmann 2007, "Kernel PCA for novelty
   * detection", Pattern Recognition 40(3)). Unlike the projections it grows for points far from all
   * fitted ones: their kernel values vanish, so z(y) tends to the fixed projection of −φ̄ while
   * ‖φ(y) − φ̄‖² tends to 1 + mean(K).
   */
  residuals(y: MatrixInput): Float64Array;
  /** Projections and residuals in one pass over the kernel values. */
  project(y: MatrixInput): { projections: Float64Array; residuals: Float64Array };
}

/**
 * k for given leading eigenvalues: the positive ones (relative floor), at most `wanted`, then the
 * fewest reaching the variance share of the trace, unless k was requested.
 */
function componentChooser(wanted: number, requested: number | undefined, varianceFraction: number, trace: number): (values: Float64Array) => number {
  return (values) => {
    let positive = 0;
    while (positive < values.length && values[positive] > RELATIVE_EIGENVALUE_FLOOR * values[0]) positive++;
    const available = Math.min(wanted, positive);
    if (requested !== undefined) return available;
    let cumulative = 0;
    for (let c = 0; c < available; c++) {
      cumulative += values[c];
      if (cumulative >= varianceFraction * trace) return c + 1;
    }
    return available;
  };
}

/** The RBF kernel matrix of the fitted points, double-centred in feature space, with the means that centred it. */
function centredRbfKernel(points: Float64Array, n: number, d: number, gamma: number): { kernel: Float64Array; columnMeans: Float64Array; grandMean: number; trace: number } {
  const kernel = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    kernel[i * n + i] = 1;
    for (let j = 0; j < i; j++) {
      const value = Math.exp(-gamma * squaredDistance(points, i, points, j, d));
      kernel[i * n + j] = value;
      kernel[j * n + i] = value;
    }
  }
  const columnMeans = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) columnMeans[j] += kernel[i * n + j];
  }
  let grandMean = 0;
  for (let j = 0; j < n; j++) {
    columnMeans[j] /= n;
    grandMean += columnMeans[j];
  }
  grandMean /= n;
  let trace = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) kernel[i * n + j] += grandMean - columnMeans[i] - columnMeans[j];
    trace += kernel[i * n + i];
  }
  return { kernel, columnMeans, grandMean, trace };
}

/** What projecting new points needs of a fit: the fitted points, the centring means and the components' coefficients. */
interface FittedKernel {
  points: Float64Array;
  n: number;
  d: number;
  gamma: number;
  columnMeans: Float64Array;
  grandMean: number;
  /** α_c, one row of n per component. */
  coefficients: Float64Array;
  k: number;
}

/** Projections of new points onto the components, and their squared feature-space distance left over. */
function projector(fit: FittedKernel): (y: MatrixInput) => { projections: Float64Array; residuals: Float64Array } {
  const { points, n, d, gamma, columnMeans, grandMean, coefficients, k } = fit;
  return (y) => {
    const queries = toDense(y, 'KernelPcaModel.transform');
    if (queries.cols !== d) throw new RangeError(`KernelPcaModel.transform: rows have ${queries.cols} columns, the model was fitted on ${d}`);
    const projections = new Float64Array(queries.rows * k);
    const residuals = new Float64Array(queries.rows);
    const centred = new Float64Array(n);
    for (let q = 0; q < queries.rows; q++) {
      let rowMean = 0;
      for (let j = 0; j < n; j++) {
        centred[j] = Math.exp(-gamma * squaredDistance(queries.data, q, points, j, d));
        rowMean += centred[j];
      }
      rowMean /= n;
      for (let j = 0; j < n; j++) centred[j] += grandMean - rowMean - columnMeans[j];
      let captured = 0;
      for (let c = 0; c < k; c++) {
        let sum = 0;
        const offset = c * n;
        for (let j = 0; j < n; j++) sum += centred[j] * coefficients[offset + j];
        projections[q * k + c] = sum;
        captured += sum * sum;
      }
      // ‖φ(y) − φ̄‖² = k(y, y) − 2 mean_j k(y, x_j) + mean(K), with k(y, y) = 1 for the RBF kernel.
      residuals[q] = Math.max(0, 1 - 2 * rowMean + grandMean - captured);
    }
    return { projections, residuals };
  };
}

/**
 * RBF kernel PCA (Schölkopf, Smola & Müller 1998, "Nonlinear component analysis as a kernel
 * eigenvalue problem", Neural Computation 10(5)). With K_ij = exp(−γ‖x_i − x_j‖²) and
 * H = I − 11ᵀ/n, the centred kernel K_c = H K H holds the inner products of the feature vectors
 * after subtracting their mean. For its eigenpairs (λ_c, v_c), ‖v_c‖ = 1, the coefficients
 * α_c = v_c / √λ_c make the feature-space component unit length, so point i projects to
 * (K_c α_c)_i = √λ_c v_ci: projections have mean 0 (v_c ⊥ 1) and variance λ_c / n.
 * A new point y is centred the same way, with the training means (their appendix):
 *   K_c(y, x_j) = k(y, x_j) − mean_l k(y, x_l) − mean_i k(x_i, x_j) + mean(K),
 * and projects to Σ_j K_c(y, x_j) α_cj.
 *
 * Cost: building K is O(n² d); the dense eigensolver is O(n³) (≈ 28 s at n = 1,500 in
 * ml-matrix), the block Krylov one O(m n²) for a Krylov dimension m of a few k (≈ 0.7 s for the
 * whole fit at n = 1,500, d = 8, k = 32), which is why `auto` uses it above 200 points;
 * `transform` is O(n (d + k)) per point.
 *
 * The kernel width matters for failure detection: a point farther from every fitted point than a
 * few kernel widths has k(y, x_j) ≈ 0 for all j, and its projection tends to that of −φ̄, which lies
 * among the projections of ordinary points. With the median heuristic the width is about the
 * spread of the data, so grossly shifted latents can project like clean ones; see
 * `FailureDetectorOptions.includeResidual` and the README.
 */
export function fitKernelPca(x: MatrixInput, options: KernelPcaOptions = {}): KernelPcaModel {
  const input = toDense(x, 'fitKernelPca');
  const seed = options.seed ?? 0;
  const maxFit = options.maxFit ?? 1500;
  if (!Number.isInteger(maxFit) || maxFit < 2) throw new RangeError(`fitKernelPca: maxFit must be an integer ≥ 2, got ${maxFit}`);
  if (input.rows < 2) throw new RangeError(`fitKernelPca: needs at least 2 points, got ${input.rows}`);
  const fitIndices = sampleIndices(input.rows, Math.min(maxFit, input.rows), seed);
  const d = input.cols;
  const n = fitIndices.length;
  const points = new Float64Array(n * d);
  fitIndices.forEach((row, i) => points.set(input.data.subarray(row * d, (row + 1) * d), i * d));

  const gamma = options.gamma ?? medianHeuristicGamma(points, n, d, seed);
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new RangeError(`fitKernelPca: gamma must be positive and finite, got ${gamma}`);

  const { kernel, columnMeans, grandMean, trace } = centredRbfKernel(points, n, d, gamma);

  const requested = options.components;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new RangeError(`fitKernelPca: components must be a positive integer, got ${requested}`);
  }
  const varianceFraction = options.varianceFraction ?? 0.95;
  if (!(varianceFraction > 0 && varianceFraction <= 1)) throw new RangeError(`fitKernelPca: varianceFraction must be in (0, 1], got ${varianceFraction}`);
  const wanted = Math.min(requested ?? MAX_DEFAULT_COMPONENTS, n - 1);
  if (!(trace > 0)) {
    throw new RangeError('fitKernelPca: the centred kernel is zero: all fitted points coincide');
  }
  const componentCount = componentChooser(wanted, requested, varianceFraction, trace);
  const pairs = leadingEigenpairs(kernel, n, wanted, { solver: options.solver, seed, required: componentCount });
  if (!(pairs.values[0] > 0)) throw new RangeError('fitKernelPca: the centred kernel has no positive eigenvalue');
  const k = componentCount(pairs.values);

  const eigenvalues = pairs.values.slice(0, k);
  const coefficients = new Float64Array(k * n); // α_c, one row per component
  const trainingProjections = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    const root = Math.sqrt(eigenvalues[c]);
    for (let i = 0; i < n; i++) {
      const v = pairs.vectors[c * n + i];
      coefficients[c * n + i] = v / root;
      trainingProjections[i * k + c] = v * root;
    }
  }
  let kept = 0;
  for (const value of eigenvalues) kept += value;

  // Squared distance of each fitted point's feature vector from the feature mean, K_c(x_i, x_i) = 1 − 2 m_i + mean(K).
  const trainingResiduals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let captured = 0;
    for (let c = 0; c < k; c++) captured += trainingProjections[i * k + c] ** 2;
    trainingResiduals[i] = Math.max(0, 1 - 2 * columnMeans[i] + grandMean - captured);
  }

  const project = projector({ points, n, d, gamma, columnMeans, grandMean, coefficients, k });

  return {
    gamma,
    components: k,
    eigenvalues,
    totalVariance: trace,
    explainedVarianceRatio: kept / trace,
    inputDimension: d,
    fitIndices,
    trainingProjections,
    trainingResiduals,
    solver: pairs.report,
    transform: (y) => project(y).projections,
    residuals: (y) => project(y).residuals,
    project,
  };
}

/**
 * The median heuristic γ = 1 / median ‖x_i − x_j‖² (e.g. Garreau, Jitkrittum & Kanagawa 2017,
 * "Large sample analysis of the median heuristic"): typical pairs then have kernel value e⁻¹, so
 * the kernel neither sees every pair as identical (γ too small) nor every point as isolated (γ
 * too large). All pairs when there are at most {@link MEDIAN_HEURISTIC_PAIRS}, else that many
 * seeded random pairs of distinct points. When more than half the pairs coincide (median 0),
 * the median of the non-zero distances is used instead.
 */
export function medianHeuristicGamma(points: Float64Array, n: number, d: number, seed = 0): number {
  const distances: number[] = [];
  if ((n * (n - 1)) / 2 <= MEDIAN_HEURISTIC_PAIRS) {
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) distances.push(squaredDistance(points, i, points, j, d));
  } else {
    const uniform = seededUniform(seed ^ 0x5bd1e995);
    while (distances.length < MEDIAN_HEURISTIC_PAIRS) {
      const i = Math.floor(uniform() * n);
      const j = Math.floor(uniform() * n);
      if (i !== j) distances.push(squaredDistance(points, i, points, j, d));
    }
  }
  let median = medianOf(distances);
  if (median === 0) median = medianOf(distances.filter((value) => value > 0));
  if (!(median > 0)) throw new RangeError('medianHeuristicGamma: all sampled pairs coincide, so no kernel width can be read off the data');
  return 1 / median;
}

function medianOf(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((p, q) => p - q);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle]);
}

function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let sum = 0;
  const offsetA = i * d;
  const offsetB = j * d;
  for (let l = 0; l < d; l++) {
    const difference = a[offsetA + l] - b[offsetB + l];
    sum += difference * difference;
  }
  return sum;
}
