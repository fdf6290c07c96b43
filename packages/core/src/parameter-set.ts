import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from './model';
import { createRng, normal, Rng } from './random';

export type InitScheme = 'pytorch' | 'he' | 'glorot';

export const INIT_SCHEMA = {
  enum: ['pytorch', 'he', 'glorot'],
  default: 'pytorch',
  description: 'Weight initialisation: pytorch = U(±1/√fan_in) for weights and biases (PyTorch\'s default), he = N(0, 2/fan_in), glorot = U(±√(6/(fan_in+fan_out))); biases zero except for pytorch.',
};

let variableCounter = 0;

/**
 * Owns a sub-model's variables (in core, so a plugin that makes its own parameters needs core
 * alone): creates them from a seeded stream and names them
 * `<sub-model>/<layer>/<param>` (the tf.Variable gets a unique suffix, as tfjs requires).
 */
export class ParameterSet {
  readonly parameters: Parameter[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly owner: string,
    seed: number,
    private readonly scheme: InitScheme,
  ) {
    this.rng = createRng(seed);
  }

  /** A weight tensor with the given fan-in/fan-out; or a bias when `bias` is true. */
  create(localName: string, shape: number[], fanIn: number, fanOut: number, bias = false): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (this.scheme === 'pytorch') {
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < size; i++) values[i] = (this.rng() * 2 - 1) * bound;
    } else if (!bias && this.scheme === 'he') {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) values[i] = normal(this.rng) * std;
    } else if (!bias && this.scheme === 'glorot') {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) values[i] = (this.rng() * 2 - 1) * bound;
    }
    const name = `${this.owner}/${localName}`;
    const initial = tf.tensor(values, shape);
    const variable = tf.variable(initial, true, `${name}#${++variableCounter}`);
    initial.dispose();
    this.parameters.push({ name, variable });
    return variable;
  }

  dispose(): void {
    for (const p of this.parameters) p.variable.dispose();
    this.parameters.length = 0;
  }
}
