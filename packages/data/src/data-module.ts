import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createNpySource, NPY_SOURCE_SCHEMA } from './arrays/npy-source';
import { createRoboMnistSource, ROBOMNIST_SCHEMA, roboMnistModalities } from './robomnist/robomnist-source';
import { createSyntheticArmSource, SYNTHETIC_ARM_SCHEMA, syntheticArmModalities } from './synthetic-arm';

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
    registry.register({
      kind: 'data',
      type: 'robomnist',
      description: 'RoboMNIST (two Franka arms drawing digits) in its published file layout: kinematics and WiFi CSI aligned by timestamp, split by repetition',
      optionsSchema: ROBOMNIST_SCHEMA,
      create: createRoboMnistSource,
      modalities: roboMnistModalities,
    });
    registry.register({
      kind: 'data',
      type: 'npy',
      description: 'Arrays saved with numpy: one .npy per modality [N, ...], optionally the episode of each sample for the split',
      optionsSchema: NPY_SOURCE_SCHEMA,
      create: createNpySource,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(DataContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataContribution);
});
