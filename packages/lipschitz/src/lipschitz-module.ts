import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createLipschitzTracker, LIPSCHITZ_TRACKER_SCHEMA } from './lipschitz-tracker';

@injectable()
export class LipschitzContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'callback',
      type: 'lipschitz',
      description: 'Tracks Lipschitz estimates and certified bounds of every sub-model and the whole model during training (lipschitz.jsonl)',
      optionsSchema: LIPSCHITZ_TRACKER_SCHEMA,
      create: createLipschitzTracker,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(LipschitzContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(LipschitzContribution);
});
