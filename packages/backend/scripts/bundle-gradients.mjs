// Builds dist/tfjs-gradients.js: tfjs-core's gradient registrations and chained ops
// (`tensor.reshape(...)`) as one CommonJS file.
//
// tfjs-core's CommonJS bundle (its `main`) registers neither; they ship only as ES modules
// (dist/register_all_gradients.js, dist/public/chained_ops/register_all_chained_ops.js), which the
// umbrella @tensorflow/tfjs bundles along with layers, the converter, data and WebGL. Bundling
// these two modules here keeps the rest out of the install.
// The registrations and the ops they call reach the one engine and registry of the process
// through tfjs's globals, as the umbrella's do.
import { build } from 'esbuild';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));

await build({
  stdin: {
    contents: "import './dist/register_all_gradients.js';\nimport './dist/public/chained_ops/register_all_chained_ops.js';\n",
    resolveDir: core,
    sourcefile: 'tfjs-gradients-entry.js',
  },
  outfile: join(here, '..', 'dist', 'tfjs-gradients.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // seedrandom and long stay the installed packages tfjs-core depends on.
  packages: 'external',
  legalComments: 'inline',
  logLevel: 'warning',
});
