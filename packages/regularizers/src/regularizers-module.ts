import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createL2Regularizer, L2_REGULARIZER_SCHEMA } from './l2-regularizer';
import { createSpectralNormConstraint, SPECTRAL_NORM_CONSTRAINT_SCHEMA } from './spectral-norm-constraint';
import { createWeightDecayRegularizer, WEIGHT_DECAY_REGULARIZER_SCHEMA } from './weight-decay-regularizer';

@injectable()
export class RegularizersContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'regularizer',
      type: 'l2',
      description: 'λ Σ ‖W‖_F² over parameters selected by name (e.g. the attention projections)',
      optionsSchema: L2_REGULARIZER_SCHEMA,
      create: createL2Regularizer,
    });
    registry.register({
      kind: 'regularizer',
      type: 'weight-decay',
      description: 'λ Σ ‖W‖² over every kernel (not biases) of all or selected sub-models',
      optionsSchema: WEIGHT_DECAY_REGULARIZER_SCHEMA,
      create: createWeightDecayRegularizer,
    });
    registry.register({
      kind: 'regularizer',
      type: 'spectral-norm',
      description: 'Constraint: after each optimiser step W ← W · min(1, c/σ_max(W)) for selected matrices (power iteration)',
      optionsSchema: SPECTRAL_NORM_CONSTRAINT_SCHEMA,
      create: createSpectralNormConstraint,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(RegularizersContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(RegularizersContribution);
});
