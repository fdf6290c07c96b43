// The parameter set lives in core, where plugins find it without depending on the encoders.
export { INIT_SCHEMA, InitScheme, ParameterSet } from '@mmfuse/core';
