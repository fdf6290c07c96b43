#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { environmentError, isUserInputError } from '@mmfuse/core';
import { childCommand, claimsCommand, dataIndexCommand, dataPreviewCommand, doctorCommand, exportCommand, listCommand, queueStatusCommand, reportCommand, runCommand, schemaCommand, validateCommand, workerCommand } from './commands';

/** Exit codes: 0 success, 1 internal error, 2 bad input (config, data, plugin, arguments). */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${value}"`);
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A number; its range is checked by the command, whose message names the option's meaning. */
function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

/** Comma-separated names, repeatable: `--failures a,b --failures c`. */
function commaList(value: string, previous: unknown): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  if (names.length === 0) throw new InvalidArgumentError('expected failure types separated by commas');
  return [...(Array.isArray(previous) ? previous : []), ...names];
}

export function buildProgram(): Command {
  const program = new Command('mmfuse')
    .description('Multimodal autoencoders with stable fusion: run experiments from JSON configs')
    .version(require('../package.json').version)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  addTrainingCommands(program);
  addResultCommands(program);
  addConfigCommands(program);
  return program;
}

/** run, worker, queue status: training, here or on a queue. */
function addTrainingCommands(program: Command): void {
  program
    .command('run')
    .description('train every fusion of an experiment config for every trial and write a run folder')
    .argument('[config]', 'experiment config (JSON)')
    .option('-o, --out <dir>', 'folder for run folders (overrides output.dir)')
    .option('-r, --resume <run-folder>', 'continue an interrupted run: finished trials are kept, the others continue from their last checkpoint')
    .option('--epochs <n>', 'override training.epochs', positiveInteger)
    .option('--trials <n>', 'override training.trials', positiveInteger)
    .option('--workers <n>', 'override training.workers (threads per trial)', positiveInteger)
    .option('-q, --quiet', 'no progress output')
    .option('--point <n>', 'run only point n of the config\'s sweep (a sweep runs its points this way)', nonNegativeInteger)
    .option('--run-dir <dir>', 'run in exactly this folder; continues it when it holds an interrupted run')
    .option('--base-dir <dir>', 'resolve the config\'s relative paths against this folder instead of the config\'s own')
    .option('--no-report', 'do not write the report (HTML page and figures) at the end')
    .option('--queue <redis-url>', 'coordinate the run through a BullMQ queue on Redis (redis://[:password@]host:port[/db], rediss:// for TLS): `mmfuse worker` processes train, this one merges and summarises')
    .option('--queue-name <name>', 'queue name (default mmfuse); workers must use the same')
    .option('--attempts <n>', 'tries per queued job before it fails for good (default 3; a worker that dies counts as one)', positiveInteger)
    .action(runCommand);

  program
    .command('worker')
    .description('train queued trials of `mmfuse run --queue` runs: each job in a child process, in its own attempt folder of the shared run folder')
    .requiredOption('--queue <redis-url>', 'the Redis URL the coordinator uses')
    .option('--queue-name <name>', 'queue name (default mmfuse)')
    .option('-c, --concurrency <n>', 'jobs trained at once (default 1)', positiveInteger)
    .requiredOption('--runs <dir>', 'serve only run folders under this folder (repeatable); jobs for others fail at once', collect)
    .option('--allow-plugins', 'run the plugins a queued run\'s config lists (plugins are code; without this, such jobs fail at once)')
    .option('--lock-seconds <s>', 'seconds without a sign of life before another worker may take a job over (default 30)', positiveNumber)
    .option('--workers <n>', 'threads per job (default: cores ÷ concurrency)', positiveInteger)
    .option('-q, --quiet', 'no log lines')
    .action(workerCommand);

  const queue = program.command('queue').description('look at the queue of `mmfuse run --queue` runs');
  queue
    .command('status')
    .description('jobs waiting, active, done and failed, per run')
    .requiredOption('--queue <redis-url>', 'the Redis URL')
    .option('--queue-name <name>', 'queue name (default mmfuse)')
    .option('--run <folder>', 'only the run (or sweep) written in this folder')
    .option('--json', 'print the counts as JSON')
    .action(queueStatusCommand);

  // Internal: the entry of a child process, which reads its job from the IPC channel.
  program.command('child', { hidden: true }).description('run the job a parent mmfuse process sends over IPC').action(childCommand);
}

/** claims, report: what a finished run shows. */
function addResultCommands(program: Command): void {
  program
    .command('claims')
    .description('test the paper\'s ordering claims on a finished run (lowest loss and Lipschitz constants with attention, encoders above decoders, concat steadier than sum, best failure separation, attention no worse than concat within a margin, attention more robust to a lost or corrupted modality) with permutation tests and effect sizes with bootstrap intervals; each claim holds, is contradicted or is inconclusive, with the reason; writes claims.json and claims.txt')
    .argument('<dir>', 'run folder')
    .option('--alpha <a>', 'significance level of each one-sided test', probability, 0.05)
    .option('--estimator <type>', 'Lipschitz estimator compared (lipschitz.jsonl)', 'jacobian-spectral')
    .option('--attention <label>', 'the set-up the attention claims are about, compared with the set-ups of other fusion types (default: the one labelled "attention")')
    .option('--margin <m>', "non-inferiority margin, a fraction of concatenation's mean test loss", probability, 0.05)
    .option('--json', 'print the results as JSON')
    .action(claimsCommand);

  program
    .command('report')
    .description('write the report of a run or sweep folder: a self-contained HTML page with the paper\'s figures and tables, and each figure as SVG and PNG')
    .argument('<dir>', 'run or sweep folder')
    .option('-o, --out <path>', 'a folder (gets index.html and figures/) or an .html file; default <dir>/report')
    .addOption(new Option('--loss-axis <scale>', 'y axes of the loss curves: log where the values span a decade or more (auto), or always log or linear').choices(['auto', 'log', 'linear']).default('auto'))
    .action(reportCommand);

  program
    .command('export')
    .description("write one finished trial's encoders, fusion and decoders as standalone sub-models (TensorFlow.js model.json + weights.bin each) that @mmfuse/model's loadSubModel rebuilds in another program")
    .argument('<run>', 'run folder')
    .option('--setup <label>', 'the set-up (default: the first)')
    .option('--trial <k>', 'the trial (default 0)', nonNegativeInteger)
    .requiredOption('-o, --out <dir>', 'folder for the sub-models (one sub-folder each)')
    .action(exportCommand);
}

/** validate, list, schema, data preview, doctor: configs, components, data and the machine. */
function addConfigCommands(program: Command): void {
  program
    .command('validate')
    .description('check a config (schema, plugins, modality names, model sizes) without running it')
    .argument('<config>', 'experiment config (JSON)')
    .action(validateCommand);

  program
    .command('list')
    .description('registered component types (data, encoder, decoder, fusion, regularizer, callback) and their options')
    .argument('[kind]', 'only this kind')
    .option('--json', 'print registrations with their option schemas as JSON')
    .option('-p, --plugin <package>', 'also load this plugin (repeatable)', collect)
    .action(listCommand);

  program
    .command('schema')
    .description('print (or write) the JSON Schema of experiment configs for the registered components')
    .option('-o, --out <file>', 'write it to this file')
    .option('-p, --plugin <package>', 'also load this plugin (repeatable)', collect)
    .action(schemaCommand);

  const data = program.command('data').description('look at the data a config produces');
  data
    .command('preview')
    .description('write a PNG contact sheet of a config\'s data: clean samples, labelled process failures and each library failure applied')
    .argument('<config>', 'experiment config (JSON)')
    .option('-o, --out <file>', 'PNG to write (default: <config name>-preview.png in the current folder)')
    .option('--samples <n>', 'samples per row, evenly spaced over the split (default 8)', positiveInteger)
    .option('--severity <s>', 'severity of the library failures, 0 to 1 (default 0.7)', finiteNumber)
    .option('--failures <types>', 'only these library failures (comma-separated; default: all)', commaList)
    .option('--no-failures', 'no library failure rows')
    .addOption(new Option('--split <split>', 'split to draw samples from (default: test, or train when test is empty)').choices(['train', 'test']))
    .action(dataPreviewCommand);
  data
    .command('index')
    .description('what a RoboMNIST folder holds: complete recordings per digit × arm × speed, incomplete ones, and every file that looks like a recording but is not used, with the reason')
    .argument('<folder>', 'the data folder (condition folders, or a manifest.csv at the top)')
    .option('--json', 'print the index as JSON')
    .option('--follow-links-outside', 'follow symbolic links that lead out of the folder')
    .action(dataIndexCommand);

  program
    .command('doctor')
    .description('say which TensorFlow.js backend runs here, and why')
    .option('-b, --backend <name>', 'backend to try: auto, tensorflow, wasm, cpu', 'auto')
    .action((options: { backend: string }) => doctorCommand(options.backend));
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command that finished but reports failures (failed sweep points or queued jobs) set exit code 1.
    return process.exitCode === EXIT_INTERNAL ? EXIT_INTERNAL : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (isUserInputError(error)) {
      for (const line of error.lines) process.stderr.write(`error: ${line}\n`);
      return EXIT_BAD_INPUT;
    }
    // A full or read-only disk met outside mmfuse's own writers: the environment's fault, not a defect.
    const environment = environmentError((error as NodeJS.ErrnoException).path ?? 'a file', error);
    if (isUserInputError(environment)) {
      process.stderr.write(`error: ${environment.lines[0]}\n`);
      return EXIT_BAD_INPUT;
    }
    const err = error as Error;
    process.stderr.write(`internal error: ${err?.message ?? String(error)}\n`);
    if (process.env.MMFUSE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    else process.stderr.write('(this is a defect in mmfuse; set MMFUSE_DEBUG=1 for the stack trace)\n');
    return EXIT_INTERNAL;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
