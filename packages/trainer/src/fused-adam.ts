import * as tf from '@tensorflow/tfjs-core';
import { ADAM_STEP_KERNEL, AdamStepAttrs, adamStepMaxSize } from '@mmfuse/backend';

/** The state tfjs's AdamOptimizer keeps (private in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable }>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable }>;
  incrementIterations(): void;
}

/**
 * tfjs's Adam, with each variable's update as one kernel where the backend has mmfuse's fused Adam
 * kernel (wasm; above `adamStepMaxSize()` elements tfjs's own kernels, where the kernel is a
 * JavaScript loop): the same state, checkpoint weights and float32 results, bit for bit, as
 * `tf.train.adam`, which it is on every other backend. Most layers of a model are small (biases,
 * MLP and convolution kernels), and there the engine's per-kernel cost dominates.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_STEP_KERNEL, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const f = Math.fround;
    // The scalars as AdamOptimizer's float32 tensors hold them: 1 − β₁ᵗ is sub(1, accBeta1).
    const attrs: AdamStepAttrs = {
      beta1: f(state.beta1),
      oneMinusBeta1: f(1 - state.beta1),
      beta2: f(state.beta2),
      oneMinusBeta2: f(1 - state.beta2),
      oneMinusBeta1Power: f(1 - state.accBeta1.dataSync()[0]),
      oneMinusBeta2Power: f(1 - state.accBeta2.dataSync()[0]),
      epsilon: f(state.epsilon),
      negativeLearningRate: f(-state.learningRate),
    };
    const maxSize = adamStepMaxSize();
    tf.tidy(() => {
      const oneMinusBeta1Power = tf.sub(1, state.accBeta1);
      const oneMinusBeta2Power = tf.sub(1, state.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        if (value.size > maxSize) {
          // tfjs's own sequence (AdamOptimizer.applyGradients), whose SIMD kernels win here.
          const first = tf.add(tf.mul(m, state.beta1), tf.mul(gradient, 1 - state.beta1));
          const second = tf.add(tf.mul(v, state.beta2), tf.mul(tf.square(gradient), 1 - state.beta2));
          m.assign(first);
          v.assign(second);
          const step = tf.mul(tf.div(tf.div(first, oneMinusBeta1Power), tf.add(tf.sqrt(tf.div(second, oneMinusBeta2Power)), state.epsilon)), -state.learningRate);
          value.assign(tf.add(step, value));
          return;
        }
        const [x, first, second] = tf.engine().runKernel(ADAM_STEP_KERNEL, { x: value, g: gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(first);
        v.assign(second);
        value.assign(x);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    state.incrementIterations();
  }
}

/** The trainer's optimiser: Adam with tfjs's defaults for everything but the learning rate. */
export function createAdam(learningRate: number): tf.Optimizer {
  return new FusedAdamOptimizer(learningRate, 0.9, 0.999, 1e-8);
}
