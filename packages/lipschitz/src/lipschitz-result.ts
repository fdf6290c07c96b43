/** The estimators this package provides, by the `type` a config names them with. */
export type EstimatorType = 'jacobian-frobenius' | 'jacobian-spectral' | 'difference-quotient' | 'gradient-ratio' | 'certified-bound';

/** What a number measures. Quantities differ: only `spectral`, `difference-quotient` and `upper-bound` speak of the l2 constant. */
export type Quantity = 'frobenius' | 'spectral' | 'difference-quotient' | 'gradient-ratio' | 'upper-bound';

/**
 * How a value relates to the quantity named in `of`: a rigorous lower bound, a rigorous upper
 * bound, or a (possibly random) estimate that may fall on either side.
 */
export type BoundKind = 'lower' | 'upper' | 'estimate';

/** One layer's operator norm inside a certified bound. */
export interface LayerNormBound {
  readonly name: string;
  readonly kind: 'dense' | 'conv2d' | 'conv2d-transpose' | 'activation';
  /** Rigorous upper bound of the layer's l2 operator norm (the activation's Lipschitz constant for activations). */
  readonly upper: number;
  /** Rigorous lower bound of the same norm (‖A v‖ for a unit v found by power iteration), when computed. */
  readonly lower?: number;
  /** Which bound gave `upper` (e.g. `trace of (AᵀA)^1024`, `polyphase reshape R3`). */
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
  /** The quantity `bound` refers to, in words (e.g. `the l2 Lipschitz constant of f`). */
  readonly of: string;
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
  /** Layer by layer, for certified bounds built from `describeLayers()`. */
  readonly layers?: readonly LayerNormBound[];
}
