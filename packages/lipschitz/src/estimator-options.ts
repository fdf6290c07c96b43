import { UserInputError } from '@mmfuse/core';
import { CertifiedBoundEstimator, CertifiedBoundOptions, CERTIFIED_BOUND_DEFAULTS, CERTIFIED_BOUND_SCHEMA } from './certified-bound';
import { DifferenceQuotientEstimator, DifferenceQuotientOptions, DIFFERENCE_QUOTIENT_DEFAULTS, DIFFERENCE_QUOTIENT_SCHEMA } from './difference-quotient';
import type { Estimator } from './estimator';
import { GradientRatioEstimator, GradientRatioOptions, GRADIENT_RATIO_DEFAULTS, GRADIENT_RATIO_SCHEMA } from './gradient-ratio';
import { JacobianFrobeniusEstimator, JacobianFrobeniusOptions, JACOBIAN_FROBENIUS_DEFAULTS, JACOBIAN_FROBENIUS_SCHEMA } from './jacobian-frobenius';
import { JacobianSpectralEstimator, JacobianSpectralOptions, JACOBIAN_SPECTRAL_DEFAULTS, JACOBIAN_SPECTRAL_SCHEMA } from './jacobian-spectral';
import type { EstimatorType } from './lipschitz-result';

/** One entry of the tracker's `estimators` list: a `type` and that estimator's options. */
export type EstimatorOptions = JacobianFrobeniusOptions | JacobianSpectralOptions | DifferenceQuotientOptions | GradientRatioOptions | CertifiedBoundOptions;

/** As a config may write it: every option but `type` optional (one member per estimator type). */
export type EstimatorConfig = EstimatorOptions extends infer T ? (T extends { type: EstimatorType } ? { type: T['type'] } & Partial<Omit<T, 'type'>> : never) : never;

interface EstimatorKind {
  readonly schema: Record<string, unknown>;
  readonly defaults: Record<string, unknown>;
  create(options: Record<string, unknown>): Estimator;
}

const KINDS: Record<EstimatorType, EstimatorKind> = {
  'jacobian-spectral': { schema: JACOBIAN_SPECTRAL_SCHEMA, defaults: JACOBIAN_SPECTRAL_DEFAULTS, create: (o) => new JacobianSpectralEstimator(o) },
  'jacobian-frobenius': { schema: JACOBIAN_FROBENIUS_SCHEMA, defaults: JACOBIAN_FROBENIUS_DEFAULTS, create: (o) => new JacobianFrobeniusEstimator(o) },
  'difference-quotient': { schema: DIFFERENCE_QUOTIENT_SCHEMA, defaults: DIFFERENCE_QUOTIENT_DEFAULTS, create: (o) => new DifferenceQuotientEstimator(o) },
  'gradient-ratio': { schema: GRADIENT_RATIO_SCHEMA, defaults: GRADIENT_RATIO_DEFAULTS, create: (o) => new GradientRatioEstimator(o) },
  'certified-bound': { schema: CERTIFIED_BOUND_SCHEMA, defaults: CERTIFIED_BOUND_DEFAULTS, create: (o) => new CertifiedBoundEstimator(o) },
};

export const ESTIMATOR_TYPES = Object.keys(KINDS) as EstimatorType[];

/**
 * The schema of one `estimators` entry. Each type's options sit in an `if type = … then …`
 * branch: Ajv applies defaults inside `then` (not inside `oneOf`), each branch keeps
 * `additionalProperties: false`, and a wrong key is reported against the type that was chosen
 * instead of once per alternative.
 */
export const ESTIMATOR_ENTRY_SCHEMA = {
  type: 'object',
  required: ['type'],
  description: 'An estimator to run on every tracked sub-model: its type and options.',
  properties: {
    type: { enum: ESTIMATOR_TYPES, description: 'Estimator type: ' + ESTIMATOR_TYPES.join(', ') + '.' },
  },
  allOf: ESTIMATOR_TYPES.map((type) => ({
    if: { type: 'object', required: ['type'], properties: { type: { const: type } } },
    then: KINDS[type].schema,
  })),
};

/** The options of an entry with every default filled in (what Ajv's `useDefaults` also gives). */
export function resolveEstimatorOptions(config: EstimatorConfig): EstimatorOptions {
  const kind = KINDS[config.type] as EstimatorKind | undefined;
  if (!kind) throw new UserInputError(`"${String(config.type)}" is not a Lipschitz estimator; expected one of ${ESTIMATOR_TYPES.join(', ')}`);
  const allowed = Object.keys((kind.schema as { properties: object }).properties);
  const extra = Object.keys(config).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw new UserInputError(`estimator "${config.type}" has no option ${extra.map((k) => `"${k}"`).join(', ')}; its options are ${allowed.filter((k) => k !== 'type').join(', ')}`);
  return { ...kind.defaults, ...config } as EstimatorOptions;
}

export function createEstimator(config: EstimatorConfig): Estimator {
  const options = resolveEstimatorOptions(config);
  return KINDS[options.type].create(options as unknown as Record<string, unknown>);
}
