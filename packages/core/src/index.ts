import 'reflect-metadata';

export * from './components';
export { ComponentRegistryImpl } from './component-registry';
export { ContributionProvider, bindContributionProvider } from './contribution-provider';
export { default as coreModule } from './core-module';
export * from './data';
export { UserInputError, environmentError, isEnvironmentErrorCode, isUserInputError } from './errors';
export * from './model';
export { INIT_SCHEMA, InitScheme, ParameterSet } from './parameter-set';
export { LoadedPlugin, LoadedPlugins, loadPlugins, resolvePlugin } from './plugin-loader';
export { Rng, RngState, createRng, deriveSeed, normal, permutation } from './random';
export { closestName, didYouMean } from './suggest';
export * from './training';
export { importEsm } from './import-esm';
export { appendFileDurable, updateJsonFile, withFileLock, writeAll, writeFileAtomic } from './write-file-atomic';
export { formatMeanStd, formatNumber, MeanStd, meanStd } from './mean-std';
export { MAX_JSON_FILE_BYTES, readJsonFile } from './read-json-file';
export { JsonLines, MAX_JSON_LINES_BYTES, readJsonLines } from './json-lines';
