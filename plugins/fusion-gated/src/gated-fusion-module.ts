import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createGatedFusion, GATED_FUSION_SCHEMA } from './gated-fusion';

@injectable()
export class GatedFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'gated',
      description: 'Softmax gates over the modalities weigh tanh projections of each latent',
      optionsSchema: GATED_FUSION_SCHEMA,
      create: createGatedFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(GatedFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(GatedFusionContribution);
});
