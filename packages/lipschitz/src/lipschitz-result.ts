/** The estimators this package provides, by the `type` a config names them with. */
export type EstimatorType = 'jacobian-frobenius' | 'jacobian-spectral' | 'difference-quotient' | 'gradient-ratio' | 'certified-bound';

/**
 * What a number is:
 * - `spectral-local`: max over samples of ‖J(x)ᵀw‖ for unit w from power iteration (≤ ‖J(x)‖₂);
 * - `frobenius-local`: max over samples of ‖J(x)‖_F, exact or estimated: ‖J‖_F ≥ ‖J‖₂, so it
 *   bounds the l2 constant from neither side;
 * - `difference-quotient`: max of ‖f(x) − f(y)‖/‖x − y‖ over sampled pairs;
 * - `gradient-ratio`: the same for a gradient map (a different function's constant);
 * - `certified`: an upper bound from the weights (on `domain`, when the result has one).
 */
export type Quantity = 'spectral-local' | 'frobenius-local' | 'difference-quotient' | 'gradient-ratio' | 'certified';

/**
 * Which side of the Lipschitz constant named in `of` a value lies on: a rigorous lower or upper
 * bound, or `none` when it bounds it from neither side (a Frobenius norm, a random estimate).
 */
export type BoundKind = 'lower' | 'upper' | 'none';

/** What a Frobenius row is, next to the l2 constant. */
export const FROBENIUS_RELATION = '‖J‖_F ≥ ‖J‖₂; not a bound on the ℓ2 constant';

/** The set of inputs a certificate holds on, when it does not hold everywhere. */
export interface CertificateDomain {
  /** Every latent norm ‖h_m‖ is at most this. */
  readonly inputRadius: number;
  /** Every latent norm ‖h_m‖ is at least this. */
  readonly minInputNorm: number;
  /** Where the two radii come from. */
  readonly source: string;
}

/** One layer's operator norm inside a certified bound. */
export interface LayerNormBound {
  readonly name: string;
  readonly kind: 'dense' | 'conv2d' | 'conv2d-transpose' | 'activation';
  /** Rigorous upper bound of the layer's l2 operator norm (the activation's Lipschitz constant for activations). */
  readonly upper: number;
  /** Power-iteration estimate of the same norm (‖Aᵀŷ‖ for a unit ŷ: never above it), when computed. */
  readonly lower?: number;
  /** upper / lower: how far the certificate may be from the layer's true norm, at most. */
  readonly ratio?: number;
  /** Which bound gave `upper` (e.g. `trace of (AᵀA)^1024`, `σ_max of the polyphase symbol`). */
  readonly method: string;
}

/**
 * One estimator's answer for one function. Every number says what it estimates and which side
 * of the truth it lies on; a bound is never a measurement.
 */
export interface LipschitzResult {
  readonly estimator: EstimatorType;
  readonly quantity: Quantity;
  readonly bound: BoundKind;
  /** The Lipschitz constant `bound` refers to, in words (e.g. `the l2 Lipschitz constant of f`). */
  readonly of: string;
  /** How `value` relates to that constant, in symbols and words (e.g. `FROBENIUS_RELATION`). */
  readonly relation: string;
  /** Max over the samples (lower bounds, estimates) or the bound itself (upper bounds). */
  readonly value: number;
  /** Mean over the samples, for sample-based estimators. */
  readonly mean?: number;
  /** Per-sample (or per-pair) values, in sample order. */
  readonly perSample?: readonly number[];
  /** Samples (or pairs) the value is taken over; 0 for bounds computed from weights only. */
  readonly samples: number;
  readonly seconds: number;
  /** How it was computed (exact, random projection with k probes, power iteration, ...). */
  readonly method: string;
  /** Norms on inputs and outputs. */
  readonly norm: string;
  /** Which input convention a composed bound uses (shared input, separate inputs with product norm). */
  readonly convention?: string;
  /** What the number assumes (domain radius, sampled domain, float32 rounding margin). */
  readonly assumptions?: string;
  /** For a certificate that holds only on part of the input space: that part. */
  readonly domain?: CertificateDomain;
  /** Layer by layer, for certified bounds built from `describeLayers()`. */
  readonly layers?: readonly LayerNormBound[];
  /** The per-layer gap in words: certified bound, power-iteration estimate and their ratio. */
  readonly details?: string;
}

/** Quantity names of rows written before `Quantity` had its current names. */
const RENAMED_QUANTITIES: Readonly<Record<string, Quantity>> = { spectral: 'spectral-local', frobenius: 'frobenius-local', 'upper-bound': 'certified' };

/**
 * A stored row (or result) in the current vocabulary. Older rows named quantities `spectral`,
 * `frobenius` and `upper-bound`, called random estimates `bound: "estimate"`, and called the exact
 * Frobenius norm `bound: "lower"` (a lower bound of sup ‖J‖_F, not of the l2 constant): a
 * Frobenius value is `bound: "none"` whatever it was written as.
 */
export function inCurrentVocabulary<T extends object>(row: T): T {
  const stored = row as { quantity?: unknown; bound?: unknown; relation?: unknown };
  if (stored.quantity === undefined) return row;
  const quantity = typeof stored.quantity === 'string' ? (RENAMED_QUANTITIES[stored.quantity] ?? stored.quantity) : stored.quantity;
  const frobenius = quantity === 'frobenius-local';
  const bound = frobenius || stored.bound === 'estimate' ? 'none' : stored.bound;
  const relation = stored.relation ?? (frobenius ? FROBENIUS_RELATION : undefined);
  return { ...row, quantity, bound, ...(relation === undefined ? {} : { relation }) };
}
