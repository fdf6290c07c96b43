import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createTokenAttentionFusion } from './token-attention-fusion';
import { TOKEN_ATTENTION_SCHEMA } from './token-attention-options';

@injectable()
export class TokenAttentionFusionContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'fusion',
      type: 'token-attention',
      description: 'Multi-head softmax attention over one token per modality (self-scores included), each token plus its attention output',
      optionsSchema: TOKEN_ATTENTION_SCHEMA,
      create: createTokenAttentionFusion,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(TokenAttentionFusionContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(TokenAttentionFusionContribution);
});
