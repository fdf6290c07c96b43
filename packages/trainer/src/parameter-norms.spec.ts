import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parameterNorms } from './trial-run';

describe('parameterNorms', () => {
  it('is the L2 norm of each sub-model’s parameters, and of all of them together', async () => {
    await tf.setBackend('cpu');
    const a = tf.variable(tf.tensor([3, 4]));
    const b = tf.variable(tf.tensor([[1, 2], [2, 4]]));
    const c = tf.variable(tf.tensor([12]));
    const model = { subModels: () => [{ name: 'encoder:x', parameters: [{ variable: a }, { variable: b }] }, { name: 'fusion', parameters: [{ variable: c }] }] };
    const norms = await parameterNorms(model);
    expect(norms['encoder:x']).toBeCloseTo(Math.sqrt(9 + 16 + 1 + 4 + 4 + 16), 6);
    expect(norms.fusion).toBeCloseTo(12, 6);
    expect(norms.model).toBeCloseTo(Math.sqrt(50 + 144), 6);
    tf.dispose([a, b, c]);
  });
});
