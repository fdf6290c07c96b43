export { atConfigPath, buildModel, FusionComponentConfig, ModelConfig, MultimodalAutoencoder } from './multimodal-autoencoder';
export { EXPORT_FORMAT, exportFolderName, exportModel, ExportedManifest, ExportedTopology, exportSubModel, LoadedSubModel, loadSubModel, SubModelKind } from './sub-model-export';
