import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createSumFusion, SUM_FUSION_SCHEMA } from './sum-fusion';

@injectable()
export class SumFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'sum',
      description: 'Element-wise sum of the latents (all of one width)',
      optionsSchema: SUM_FUSION_SCHEMA,
      create: createSumFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(SumFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(SumFusionContribution);
});
