export { activate, ActivationName, ACTIVATIONS, ACTIVATION_LIPSCHITZ } from './activations';
export { ConvLayerGeometry, convStack, explicitPads, PaddingOption } from './conv-geometry';
export { ConvImageDecoder, ConvImageDecoderOptions, CONV_IMAGE_DECODER_SCHEMA } from './conv-image-decoder';
export { ConvImageEncoder, ConvImageEncoderOptions, CONV_IMAGE_ENCODER_SCHEMA } from './conv-image-encoder';
export { EncodersContribution } from './encoders-contribution';
export { default as encodersModule } from './encoders-module';
export { MlpDecoder, MlpDecoderOptions, MlpEncoder, MlpEncoderOptions, MLP_DECODER_SCHEMA, MLP_ENCODER_SCHEMA } from './mlp';
export { InitScheme, ParameterSet } from './parameters';
