import { RadioChannel } from './radio-channel';

const SPEED_OF_LIGHT = 299_792_458;
const none = { count: 0, position: new Float64Array(0), radius: new Float64Array(0) };

describe('RadioChannel', () => {
  it('gives the free-space amplitude 1/d on every subcarrier for a lone line of sight', () => {
    const channel = new RadioChannel([0, 0, 1], [3, 4, 1], [], { subcarriers: 8, centreFrequency: 5.2e9, bandwidth: 80e6, noiseDb: 0 });
    const out = new Float32Array(8);
    channel.measure(none, out, 0, () => 0);
    for (const v of out) expect(v).toBeCloseTo(-20 * Math.log10(5), 4);
  });

  it('adds a floor reflection as a second path with the two-ray interference pattern', () => {
    const k = 16;
    const options = { subcarriers: k, centreFrequency: 5.2e9, bandwidth: 80e6, noiseDb: 0 };
    const tx = [0, 0, 1] as const;
    const rx = [4, 0, 2] as const;
    const channel = new RadioChannel(tx, rx, [{ point: [0, 0, 0], normal: [0, 0, 1] }], options);
    const out = new Float32Array(k);
    channel.measure(none, out, 0, () => 0);
    const direct = Math.hypot(4, 0, 1);
    const mirrored = Math.hypot(4, 0, 3);
    for (let i = 0; i < k; i++) {
      const f = options.centreFrequency + (i / (k - 1) - 0.5) * options.bandwidth;
      const a1 = 1 / direct;
      const a2 = 0.45 / mirrored;
      const power = a1 * a1 + a2 * a2 + 2 * a1 * a2 * Math.cos((2 * Math.PI * f * (mirrored - direct)) / SPEED_OF_LIGHT);
      expect(out[i]).toBeCloseTo(10 * Math.log10(power), 3);
    }
  });

  it('is shadowed when a scatterer stands on the line of sight, not when it stands aside', () => {
    const options = { subcarriers: 4, centreFrequency: 5.2e9, bandwidth: 80e6, noiseDb: 0 };
    const channel = new RadioChannel([0, 0, 1], [4, 0, 1], [], options);
    const measure = (y: number) => {
      const out = new Float32Array(4);
      channel.measure({ count: 1, position: Float64Array.of(2, y, 1), radius: Float64Array.of(0.1) }, out, 0, () => 0);
      return out.reduce((s, v) => s + v, 0) / 4;
    };
    expect(measure(0)).toBeLessThan(measure(1.5) - 6);
  });
});
