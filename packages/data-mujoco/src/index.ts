export { DataMujocoContribution, default as dataMujocoModule } from './data-mujoco-module';
export { ArmSpec, ARM_JOINTS, armSensorChannels } from './arm-mjcf';
export { EpisodeRecording, simulateEpisode, SimulationOptions } from './episode-simulator';
export { SIMULATION_VERSION } from './episode-cache';
export { loadMujoco, Mujoco } from './mujoco-runtime';
export { DEFAULT_RADIO, RadioChannel, RadioOptions } from './radio-channel';
export { CameraSpec, GeomScene, RayRenderer } from './ray-renderer';
export { sceneModalities, sceneSchema, SceneSource, SceneSourceOptions } from './scene-source';
export { PROCESS_FAILURES, ProcessFailure, SCENES, SceneEpisode, SceneType } from './scenes';
