import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { sceneModalities, sceneSchema, sceneSourceFactory, SceneSourceOptions } from './scene-source';
import { SceneType } from './scenes';

/** The simulated robot cells (MuJoCo): pick-and-place and the single and dual welding stations. */
@injectable()
export class DataMujocoContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
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
  bind(DataMujocoContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataMujocoContribution);
});
