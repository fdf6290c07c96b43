import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createAttentionFusion } from './attention-fusion';
import { ATTENTION_FUSION_SCHEMA } from './attention-fusion-options';

@injectable()
export class AttentionFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'attention',
      description:
        'Pairwise-averaged bilinear attention (Definition 4.1): each latent scaled by its mean projected dot product with the others (stabilised: unit-norm inputs, spectral norm, 1/√k); variants with query-key scores and residual, exponential or softmax gates',
      optionsSchema: ATTENTION_FUSION_SCHEMA,
      create: createAttentionFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(AttentionFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(AttentionFusionContribution);
});
