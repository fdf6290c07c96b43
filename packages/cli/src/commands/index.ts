// One file per command; main.ts wires them to the command line.
export { childCommand } from './child';
export { claimsCommand } from './claims';
export { dataIndexCommand } from './data-index';
export { dataPreviewCommand, DataPreviewOptions } from './data-preview';
export { doctorCommand } from './doctor';
export { exportCommand, ExportOptions } from './export';
export { listCommand } from './list';
export { queueStatusCommand } from './queue-status';
export { reportCommand } from './report';
export { runCommand, RunOptions } from './run';
export { schemaCommand } from './schema';
export { validateCommand } from './validate';
export { workerCommand, WorkerCommandOptions } from './worker';
