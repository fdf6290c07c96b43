/**
 * A WiFi-CSI-like radio channel between a fixed transmitter and receiver in a room with moving
 * robot arms: the channel frequency response H(f_k) = Σ_p a_p exp(−j 2π f_k d_p / c) over K
 * subcarriers, summed over the line of sight (shadowed when an arm passes through it), mirror paths
 * off the floor and walls, and one scattered path off every moving geom (amplitude proportional to
 * its size over the product of the two leg lengths). Returned as |H| in dB per subcarrier, the
 * quantity WiFi sensing works with.
 */

type Vec3 = readonly [number, number, number];

export interface RadioOptions {
  readonly subcarriers: number;
  /** Hz; 5.2 GHz by default (WiFi channel 40). */
  readonly centreFrequency: number;
  /** Hz spanned by the subcarriers; 80 MHz by default. */
  readonly bandwidth: number;
  /** Std of measurement noise on each amplitude, dB. */
  readonly noiseDb: number;
}

export const DEFAULT_RADIO: RadioOptions = { subcarriers: 64, centreFrequency: 5.2e9, bandwidth: 80e6, noiseDb: 0.5 };

const SPEED_OF_LIGHT = 299_792_458;
/** Reflection coefficient of walls and floor, and scattering strength per metre of geom radius. */
const WALL_REFLECTION = 0.45;
const SCATTERING = 1.2;

export interface Scatterers {
  readonly count: number;
  /** 3 per scatterer. */
  readonly position: Float64Array;
  readonly radius: Float64Array;
}

export class RadioChannel {
  private readonly frequencies: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(
    private readonly transmitter: Vec3,
    private readonly receiver: Vec3,
    private readonly reflectors: readonly { point: Vec3; normal: Vec3 }[],
    readonly options: RadioOptions = DEFAULT_RADIO,
  ) {
    const k = options.subcarriers;
    this.frequencies = Float64Array.from({ length: k }, (_, i) => options.centreFrequency + (k === 1 ? 0 : (i / (k - 1) - 0.5) * options.bandwidth));
    this.re = new Float64Array(k);
    this.im = new Float64Array(k);
  }

  private addPath(length: number, amplitude: number): void {
    for (let k = 0; k < this.frequencies.length; k++) {
      const phase = (-2 * Math.PI * this.frequencies[k] * length) / SPEED_OF_LIGHT;
      this.re[k] += amplitude * Math.cos(phase);
      this.im[k] += amplitude * Math.sin(phase);
    }
  }

  /** Writes K amplitudes in dB at `out[offset…]`; `noise()` draws standard normal numbers. */
  measure(scatterers: Scatterers, out: Float32Array, offset: number, noise: () => number): void {
    this.re.fill(0);
    this.im.fill(0);
    const [tx, ty, tz] = this.transmitter;
    const [rx, ry, rz] = this.receiver;
    const lx = rx - tx;
    const ly = ry - ty;
    const lz = rz - tz;
    const direct = Math.hypot(lx, ly, lz);
    let shadow = 1;
    for (let s = 0; s < scatterers.count; s++) {
      const px = scatterers.position[3 * s];
      const py = scatterers.position[3 * s + 1];
      const pz = scatterers.position[3 * s + 2];
      const r = scatterers.radius[s];
      // Distance from the scatterer to the line-of-sight segment sets how much it shadows it.
      const u = Math.max(0, Math.min(1, ((px - tx) * lx + (py - ty) * ly + (pz - tz) * lz) / (direct * direct)));
      const gap = Math.hypot(tx + u * lx - px, ty + u * ly - py, tz + u * lz - pz);
      shadow *= 1 - 0.7 * Math.exp(-((gap / (1.5 * r)) ** 2));
      const d1 = Math.hypot(px - tx, py - ty, pz - tz);
      const d2 = Math.hypot(rx - px, ry - py, rz - pz);
      this.addPath(d1 + d2, (SCATTERING * r) / (d1 * d2));
    }
    this.addPath(direct, shadow / direct);
    for (const { point, normal } of this.reflectors) {
      // The mirror image of the transmitter in the plane gives the reflected path's length.
      const side = (tx - point[0]) * normal[0] + (ty - point[1]) * normal[1] + (tz - point[2]) * normal[2];
      const ix = tx - 2 * side * normal[0];
      const iy = ty - 2 * side * normal[1];
      const iz = tz - 2 * side * normal[2];
      const length = Math.hypot(rx - ix, ry - iy, rz - iz);
      this.addPath(length, WALL_REFLECTION / length);
    }
    for (let k = 0; k < this.frequencies.length; k++) {
      const power = this.re[k] * this.re[k] + this.im[k] * this.im[k];
      out[offset + k] = 10 * Math.log10(power + 1e-12) + this.options.noiseDb * noise();
    }
  }
}
