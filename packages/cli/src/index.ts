export { BUILTIN_PLUGINS, createContainer, loadExperiment, LoadedExperiment } from './load-experiment';
export { buildProgram, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, main } from './main';
export { summaryTable } from './summary-table';
export { TerminalReporter } from './terminal-reporter';
