import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createSyntheticArmSource, SYNTHETIC_ARM_SCHEMA, syntheticArmModalities } from './synthetic-arm';

/** The data source every install has: the synthetic arm (no files, no simulator). */
@injectable()
export class DataContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'data',
      type: 'synthetic-arm',
      description: 'A two-link arm filmed by a camera (camera) with its joint sensors (joints), one hidden state; deterministic from the seed',
      optionsSchema: SYNTHETIC_ARM_SCHEMA,
      create: createSyntheticArmSource,
      modalities: syntheticArmModalities,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(DataContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataContribution);
});
