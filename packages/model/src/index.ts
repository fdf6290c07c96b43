export { atConfigPath, buildModel, FusionComponentConfig, ModelConfig, MultimodalAutoencoder } from './multimodal-autoencoder';
