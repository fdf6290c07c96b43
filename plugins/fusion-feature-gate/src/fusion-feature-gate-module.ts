import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createFeatureGateFusion } from './feature-gate-fusion';
import { FEATURE_GATE_SCHEMA } from './feature-gate-options';

@injectable()
export class FeatureGateFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'feature-gate',
      description: 'Per-feature sigmoid gate from an MLP over all latents, mixing their mean with their elementwise minimum (latents of one width)',
      optionsSchema: FEATURE_GATE_SCHEMA,
      create: createFeatureGateFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(FeatureGateFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(FeatureGateFusionContribution);
});
