import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { ROBOMNIST_SCHEMA, roboMnistModalities } from './robomnist-options';
import { createRoboMnistSource } from './robomnist-source';

/** RoboMNIST in its published layout. */
@injectable()
export class DataRoboMnistContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'data',
      type: 'robomnist',
      description: 'RoboMNIST (two Franka arms drawing digits) in its published file layout: kinematics, WiFi CSI, camera video (ffmpeg) and microphone spectra aligned to the 30 Hz kinematics, split by repetition',
      optionsSchema: ROBOMNIST_SCHEMA,
      create: createRoboMnistSource,
      modalities: roboMnistModalities,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(DataRoboMnistContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataRoboMnistContribution);
});
