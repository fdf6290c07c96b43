// What the benchmark scripts share on their command line: options parsed with node:util's
// parseArgs, `--help`, a bad option or value answered on stderr with exit 2 (no stack trace), and
// the environment that pins PyTorch and its BLAS to a thread count.
import { parseArgs } from 'node:util';

/** Says what was wrong on stderr and exits with 2. */
export function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

/** The values of `options` (plus `--help`, which prints `usage` and exits 0); a bad option fails with the usage. */
export function parseOptions(options, usage) {
  let values;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    fail(`${error.message}\n${usage}`);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** torch.set_num_threads leaves the BLAS's own threads alone; this pins OpenMP, OpenBLAS and MKL too. */
export function torchEnv(threads) {
  const n = String(threads);
  return { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

/** `value` of option `--name` as an integer ≥ `min`, or fail naming the option and the value. */
export function integerOption(name, value, min = 1) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}
