export { corruptBatch } from './corruption';
export { ExperimentRunner, PreparedExperiment, RunSummary, setupLabel, summaryCsv } from './experiment-runner';
export { buildModel, MultimodalAutoencoder } from './multimodal-autoencoder';
export { RunFolder, writeFileAtomic } from './run-folder';
export { RunReporter, RunStartInfo } from './run-reporter';
export { formatMeanStd, MeanStd, meanStd } from './statistics';
export { SetupSummary, summarizeSetup, TrialOutcome } from './summary';
export { default as trainerModule } from './trainer-module';
export { EpochRecord, gatherBatch, TrialTrainer } from './trial-trainer';
