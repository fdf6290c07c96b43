// One line after `npm install` when the optional native TensorFlow backend did not install: npm
// drops a failed optional dependency without a word, and training then runs on WebAssembly.
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const installed = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].filter((name) => {
  try {
    require.resolve(`${name}/package.json`, { paths: [new URL('../packages/backend', import.meta.url).pathname] });
    return true;
  } catch {
    return false;
  }
});
if (installed.length === 0) {
  console.log('mmfuse: optional native backend @tensorflow/tfjs-node-gpu not installed (npm drops it when its libtensorflow download fails); training uses WebAssembly, or WebGPU on a GPU (README, "GPU").');
}
