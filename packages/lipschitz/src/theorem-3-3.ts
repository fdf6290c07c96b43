/**
 * How the encoders' inputs are measured when their outputs are joined:
 * - `shared-input`: every encoder reads the same x (‖x‖ the input's norm);
 * - `separate-inputs`: encoder m reads its own x_m, under the product norm ‖(x_1..x_M)‖² = Σ‖x_m‖²
 *   (mmfuse's set-up: one encoder per modality).
 */
export type InputConvention = 'shared-input' | 'separate-inputs';

/** An upper bound of a fusion-of-encoders' Lipschitz constant, from the encoders' constants. */
export interface FusionOfEncodersBound {
  readonly fusion: 'sum' | 'concat';
  readonly convention: InputConvention;
  readonly quantity: 'upper-bound';
  readonly bound: 'upper';
  readonly value: number;
  readonly formula: string;
  /** When the bound is attained. */
  readonly tightness: string;
}

/**
 * Theorem 3.3 for encoders with Lipschitz constants (or upper bounds) `constants` L_m:
 * - shared input: ‖[E_m(x)−E_m(y)]_m‖ ≤ √(Σ L_m²)‖x−y‖ for concat, ‖Σ_m (E_m(x)−E_m(y))‖ ≤ Σ L_m ‖x−y‖ for sum;
 * - separate inputs, product norm: concat ≤ max_m L_m (Σ L_m²‖Δx_m‖² ≤ max L_m² Σ‖Δx_m‖²),
 *   sum ≤ √(Σ L_m²) (Cauchy–Schwarz: Σ L_m‖Δx_m‖ ≤ √(Σ L_m²)·√(Σ‖Δx_m‖²)).
 * Bounds, not values: a number from here is never a measurement.
 */
export function fusionOfEncodersBounds(constants: readonly number[], convention: InputConvention): { sum: FusionOfEncodersBound; concat: FusionOfEncodersBound } {
  if (constants.length === 0) throw new Error('fusionOfEncodersBounds needs the Lipschitz constant of at least one encoder');
  if (constants.some((l) => !(l >= 0))) throw new Error(`encoder Lipschitz constants must be non-negative numbers, got [${constants.join(', ')}]`);
  const rootSumSquares = Math.sqrt(constants.reduce((s, l) => s + l * l, 0));
  const sum = constants.reduce((s, l) => s + l, 0);
  const max = Math.max(...constants);
  const base = { quantity: 'upper-bound' as const, bound: 'upper' as const, convention };
  if (convention === 'shared-input') {
    return {
      concat: { ...base, fusion: 'concat', value: rootSumSquares, formula: '√(Σ_m L_m²)', tightness: 'attained by linear encoders whose top singular vectors coincide' },
      sum: { ...base, fusion: 'sum', value: sum, formula: 'Σ_m L_m', tightness: 'attained by linear encoders whose top singular pairs coincide' },
    };
  }
  return {
    concat: { ...base, fusion: 'concat', value: max, formula: 'max_m L_m', tightness: 'equal for linear encoders (block-diagonal Jacobian)' },
    sum: { ...base, fusion: 'sum', value: rootSumSquares, formula: '√(Σ_m L_m²)', tightness: 'attained when the encoders\' top left singular vectors coincide; ‖[W_1 … W_M]‖₂ for linear encoders' },
  };
}
