import { isUserInputError, MultimodalDataset, SampleStore } from '@mmfuse/core';
import { checkInputRange } from './input-range';

function dataset(camera: number[], joints: number[], testJoints = [0, 1]): MultimodalDataset {
  return {
    modalities: [
      { name: 'camera', kind: 'image', shape: [1, 2, 1] },
      { name: 'joints', kind: 'series', shape: [2, 1] },
    ],
    train: { size: 2, arrays: { camera: Float32Array.from(camera), joints: Float32Array.from(joints) } },
    test: { size: 1, arrays: { camera: Float32Array.from([0.5, 0.5]), joints: Float32Array.from(testJoints) } },
  };
}

describe('checkInputRange', () => {
  it('accepts images in 0..1 and standardised series without a word', () => {
    expect(checkInputRange(dataset([0, 1, 0.25, 0.75], [-3, 2, 40, -1e6]))).toEqual([]);
  });

  it('refuses values whose squared errors overflow float32, naming modality, split and sample', () => {
    let thrown: unknown;
    try {
      checkInputRange(dataset([0, 1, 0, 1], [0, 1, 2, 3], [1, 3e38]));
    } catch (error) {
      thrown = error;
    }
    expect(isUserInputError(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(
      'data: modality "joints" holds 3.00e+38 (test sample 0); training squares errors in float32, which overflow for values this large: standardise or rescale the data (|values| ≤ 1e+15)',
    );
  });

  it('states images stored in 0..255 instead of 0..1', () => {
    expect(checkInputRange(dataset([0, 255, 17, 3], [0, 1, 2, 3]))).toEqual([
      'modality "camera": image values range from 0 to 255, not 0..1; 8-bit images are scaled on load, but float or 16-bit ones are used as stored: divide them by their full scale (e.g. 255 or 65535) unless this range is intended',
    ]);
  });

  it('looks into samples kept in a store', () => {
    const store: SampleStore = { sampleSize: 2, samples: 2, readSample: (i, out, offset) => out.set(i === 1 ? [0, 65535] : [0, 1], offset) };
    const data = dataset([0, 1, 0, 1], [0, 1, 2, 3]);
    const streamed = { ...data, train: { ...data.train, arrays: { ...data.train.arrays, camera: store } } };
    expect(checkInputRange(streamed)[0]).toMatch(/^modality "camera": image values range from 0 to 65535, not 0\.\.1/);
  });
});
