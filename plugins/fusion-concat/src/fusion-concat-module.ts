import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { CONCAT_FUSION_SCHEMA, createConcatFusion } from './concat-fusion';

@injectable()
export class ConcatFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'concat',
      description: 'Concatenation of the latents (any widths)',
      optionsSchema: CONCAT_FUSION_SCHEMA,
      create: createConcatFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(ConcatFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(ConcatFusionContribution);
});
