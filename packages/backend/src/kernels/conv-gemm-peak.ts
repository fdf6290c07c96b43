import { heapF32, WasmBackend } from './wasm-backend-access';
import { ConvGemmVariant, convGemm, MR, NR, withScratch } from './wasm-conv-gemm';

/**
 * GFLOP/s of register-only multiply-adds in one build of the module on this backend's heap (median
 * of five runs of about 0.2 s): the ceiling any kernel of that build can reach on this CPU.
 */
export function simdPeakGflops(backend: WasmBackend, variant: ConvGemmVariant): number | undefined {
  const kernels = convGemm(backend, variant);
  if (!kernels) return undefined;
  const rounds = 2e7;
  kernels.simd_peak(1e5, 1e-9); // past the baseline compiler, into optimised code
  return medianGflops(rounds * 96, () => kernels.simd_peak(rounds, 1e-9));
}

/** GFLOP/s of `run`, which does `flops`, as the median of five timed calls. */
function medianGflops(flops: number, run: () => void): number {
  const rates: number[] = [];
  for (let call = 0; call < 5; call++) {
    const started = performance.now();
    run();
    rates.push(flops / (performance.now() - started) / 1e6);
  }
  return rates.sort((a, b) => a - b)[2];
}

/**
 * GFLOP/s of the GEMM tile's inner loop alone (4 × 8 outputs over a reduction of 256, operands in
 * L1; median of five runs of about 0.1 s): what the convolutions of that build reach at most.
 */
export function tileLoopGflops(backend: WasmBackend, variant: ConvGemmVariant): number | undefined {
  const kernels = convGemm(backend, variant);
  if (!kernels) return undefined;
  const k = 256;
  const reps = 20000;
  return withScratch(backend, [k * MR * 4, k * NR * 4, MR * NR * 4], ([a, b, c]) => {
    heapF32(backend).fill(1e-3, a >>> 2, (a >>> 2) + k * MR);
    heapF32(backend).fill(1e-3, b >>> 2, (b >>> 2) + k * NR);
    kernels.tile_loop(a, b, c, k, 500); // into optimised code
    return medianGflops(reps * k * MR * NR * 2, () => kernels.tile_loop(a, b, c, k, reps));
  });
}
