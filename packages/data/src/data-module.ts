import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createHdf5Source, HDF5_SOURCE_SCHEMA } from './arrays/hdf5-source';
import { createNpySource, NPY_SOURCE_SCHEMA } from './arrays/npy-source';
import { createFilesSource, FILES_SOURCE_SCHEMA } from './files/files-source';
import { sceneModalities, sceneSchema, sceneSourceFactory, SceneSourceOptions } from './mujoco/scene-source';
import { SceneType } from './mujoco/scenes';
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
      description: 'RoboMNIST (two Franka arms drawing digits) in its published file layout: kinematics, WiFi CSI, camera video (ffmpeg) and microphone spectra aligned to the 30 Hz kinematics, split by repetition',
      optionsSchema: ROBOMNIST_SCHEMA,
      create: createRoboMnistSource,
      modalities: roboMnistModalities,
    });
    registry.register({
      kind: 'data',
      type: 'npy',
      description: 'Arrays saved with numpy: one .npy per modality [N, ...] or the arrays of one .npz archive, optionally the episode of each sample for the split',
      optionsSchema: NPY_SOURCE_SCHEMA,
      create: createNpySource,
    });
    registry.register({
      kind: 'data',
      type: 'hdf5',
      description: 'Datasets of an HDF5 file, one per modality [N, ...] by path, optionally a dataset giving the episode of each sample for the split',
      optionsSchema: HDF5_SOURCE_SCHEMA,
      create: createHdf5Source,
    });
    registry.register({
      kind: 'data',
      type: 'files',
      description: 'A folder of camera frames (PNG/JPEG) and CSV time series with timestamps, one subfolder per episode: frames paired with the window of each series ending at their time; split by episode',
      optionsSchema: FILES_SOURCE_SCHEMA,
      create: createFilesSource,
    });
    const scenes: Record<SceneType, string> = {
      'mujoco-pick-place': 'MuJoCo pick-and-place: a six-axis arm with a parallel gripper moves a cube into a tray; camera, robot sensors and optionally a radio link',
      'welding-single': 'MuJoCo welding station: a large six-axis arm follows the seam of a T-joint, close to the camera; camera, robot sensors and optionally a radio link',
      'welding-dual': 'MuJoCo dual welding station: two arms weld one seam from both ends, seen from afar; camera, robot sensors and optionally a radio link',
    };
    for (const [type, description] of Object.entries(scenes) as [SceneType, string][]) {
      registry.register({
        kind: 'data',
        type,
        description,
        optionsSchema: sceneSchema(type),
        create: sceneSourceFactory(type),
        modalities: (options: SceneSourceOptions) => sceneModalities(options, type),
      });
    }
  }
}

export default new ContainerModule((bind) => {
  bind(DataContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataContribution);
});
