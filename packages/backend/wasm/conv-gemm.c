/*
 * Convolution kernels for tfjs's wasm backend: implicit-im2col GEMM on a 4x8 WebAssembly SIMD
 * register tile. The module imports the backend's own memory, so every pointer below is an
 * address in tfjs's heap, allocated and freed by the caller. It must keep no static data and use
 * no stack (tools/build-wasm.mjs checks both), or it would write over the backend's heap.
 *
 * Layouts: activations NHWC; filters [KH][KW][Ci][Co] (= a K x Co matrix, K = KH*KW*Ci).
 * Packed operands: A panels [K][4] (four output pixels, or four filter rows, side by side) and
 * B panels [p][K][8] (eight output channels), zero-filled past the matrix edge. Packing costs one
 * load and store per element against 2 x 8 x panels flops on it, so it is vectorised where the
 * layout allows.
 */
#include <wasm_simd128.h>

#define MR 4
#define NR 8
#define EXPORT(name) __attribute__((export_name(name)))

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Built twice: with relaxed SIMD each multiply-add is one fused instruction where the CPU has FMA. */
#ifdef MMFUSE_RELAXED_SIMD
#define MADD(c, x, b) c = wasm_f32x4_relaxed_madd(x, b, c)
#else
#define MADD(c, x, b) c = wasm_f32x4_add(c, wasm_f32x4_mul(x, b))
#endif
#define STORE_ROW(row, lo, hi)                                                  \
  if (accumulate) {                                                             \
    wasm_v128_store(row, wasm_f32x4_add(wasm_v128_load(row), lo));              \
    wasm_v128_store(row + 4, wasm_f32x4_add(wasm_v128_load(row + 4), hi));      \
  } else {                                                                      \
    wasm_v128_store(row, lo);                                                   \
    wasm_v128_store(row + 4, hi);                                               \
  }

/*
 * rows r0..r3 (8 floats each) = (accumulate ? rows : 0) + a[K][4]^T b[K][8]. Eight accumulators,
 * two B vectors and one broadcast use 11 of the 15 vector registers V8 allocates on x64: a 6x8
 * tile needs all 15, and V8 then spills accumulators around the loop's stack check (measured:
 * 37 against 47 GFLOP/s on one core with a fused peak of 55). Not unrolled here for the same
 * reason: clang's unrolled body hoists its loads and runs out of registers again.
 */
static inline __attribute__((always_inline)) void tile4x8_rows(const float* a, const float* b, int K, float* r0, float* r1, float* r2,
                         float* r3, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00;
#pragma clang loop unroll(disable)
  for (int k = 0; k < K; k++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), x;
    x = wasm_v128_load32_splat(a + 0); MADD(c00, x, b0); MADD(c01, x, b1);
    x = wasm_v128_load32_splat(a + 1); MADD(c10, x, b0); MADD(c11, x, b1);
    x = wasm_v128_load32_splat(a + 2); MADD(c20, x, b0); MADD(c21, x, b1);
    x = wasm_v128_load32_splat(a + 3); MADD(c30, x, b0); MADD(c31, x, b1);
    a += MR;
    b += NR;
  }
  STORE_ROW(r0, c00, c01) STORE_ROW(r1, c10, c11) STORE_ROW(r2, c20, c21) STORE_ROW(r3, c30, c31)
}

/* c[4][8] (row stride ldc) = (accumulate ? c : 0) + a[K][4]^T b[K][8]. */
static inline void tile4x8(const float* a, const float* b, int K, float* c, int ldc, int accumulate) {
  tile4x8_rows(a, b, K, c, c + ldc, c + 2 * ldc, c + 3 * ldc, accumulate);
}

/* A tile that may hang over the matrix edge: computed into scratch, then its valid part kept. */
static void tile_edge(const float* a, const float* b, int K, float* c, int ldc, int rows, int cols,
                      int accumulate, float* scratch) {
  if (rows == MR && cols == NR) {
    tile4x8(a, b, K, c, ldc, accumulate);
    return;
  }
  tile4x8(a, b, K, scratch, NR, 0);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + scratch[r * NR + j] : scratch[r * NR + j];
}

/* bp[p][k][8] = w[k][p*8 + j], zero past column n. */
EXPORT("pack_b")
void pack_b(const float* w, float* bp, int K, int n) {
  int panels = (n + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    int cols = min_int(NR, n - p * NR);
    for (int k = 0; k < K; k++) {
      const float* src = w + k * n + p * NR;
      float* dst = bp + (p * K + k) * NR;
      if (cols == NR) {
        wasm_v128_store(dst, wasm_v128_load(src));
        wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
      } else {
        for (int j = 0; j < NR; j++) dst[j] = j < cols ? src[j] : 0.0f;
      }
    }
  }
}

/* xp = x [batch][h][w][c] with zero borders: top/bottom rows, left/right columns. */
EXPORT("pad_nhwc")
void pad_nhwc(const float* x, float* xp, int batch, int h, int w, int c, int top, int bottom, int left, int right) {
  int hp = h + top + bottom, wp = w + left + right, rowp = wp * c, row = w * c;
  for (int n = 0; n < batch; n++)
    for (int y = 0; y < hp; y++) {
      float* dst = xp + (n * hp + y) * rowp;
      int sy = y - top;
      if (sy < 0 || sy >= h) {
        for (int i = 0; i < rowp; i++) dst[i] = 0.0f;
        continue;
      }
      const float* src = x + (n * h + sy) * row;
      for (int i = 0; i < left * c; i++) dst[i] = 0.0f;
      for (int i = 0; i < row; i++) dst[left * c + i] = src[i];
      for (int i = (left + w) * c; i < rowp; i++) dst[i] = 0.0f;
    }
}

/* out[c * stride + 0..3] = r0..r3[c] for c < 4: a 4x4 block transposed in registers. */
static inline void transpose_4x4(float* out, int stride, const float* r0, const float* r1, const float* r2, const float* r3) {
  v128_t x0 = wasm_v128_load(r0), x1 = wasm_v128_load(r1), x2 = wasm_v128_load(r2), x3 = wasm_v128_load(r3);
  v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
  wasm_v128_store(out + 0 * stride, wasm_i64x2_shuffle(t0, t2, 0, 2));
  wasm_v128_store(out + 1 * stride, wasm_i64x2_shuffle(t0, t2, 1, 3));
  wasm_v128_store(out + 2 * stride, wasm_i64x2_shuffle(t1, t3, 0, 2));
  wasm_v128_store(out + 3 * stride, wasm_i64x2_shuffle(t1, t3, 1, 3));
}

/* a[c][0..3] = r0..r3[c] for c < 4: four rows' values side by side, as A panels hold them. */
static inline void pack_4x4(float* a, const float* r0, const float* r1, const float* r2, const float* r3) {
  transpose_4x4(a, MR, r0, r1, r2, r3);
}

/* Offset in the padded input of output pixel m's window corner. */
static inline int pixel_base(int m, int oh, int ow, int hp, int wp, int c, int sh, int sw) {
  int n = m / (oh * ow), r = m - n * oh * ow, oy = r / ow, ox = r - oy * ow;
  return ((n * hp + oy * sh) * wp + ox * sw) * c;
}

/*
 * y[batch][oh][ow][co] = conv(xp, w) over an already padded input xp [batch][hp][wp][ci], with
 * w packed by pack_b. apanel holds K*4 floats, scratch 32.
 */
EXPORT("conv2d")
void conv2d(const float* xp, const float* bp, float* y, float* apanel, float* scratch,
            int batch, int hp, int wp, int ci, int oh, int ow, int co,
            int kh, int kw, int sh, int sw, int dh, int dw) {
  int K = kh * kw * ci, M = batch * oh * ow, panels = (co + NR - 1) / NR;
  for (int m0 = 0; m0 < M; m0 += MR) {
    int rows = min_int(MR, M - m0), last = m0 + rows - 1;
    /* Rows past the edge repeat the last pixel: valid reads, results dropped. */
    const float* p0 = xp + pixel_base(m0, oh, ow, hp, wp, ci, sh, sw);
    const float* p1 = xp + pixel_base(min_int(m0 + 1, last), oh, ow, hp, wp, ci, sh, sw);
    const float* p2 = xp + pixel_base(min_int(m0 + 2, last), oh, ow, hp, wp, ci, sh, sw);
    const float* p3 = xp + pixel_base(min_int(m0 + 3, last), oh, ow, hp, wp, ci, sh, sw);
    /* Without column dilation a window row is one contiguous run of kw * ci values (taps are
       ordered kh, kw, ci as in NHWC), which packs 4 at a time even for 3 input channels. */
    int run = dw == 1 ? kw * ci : ci, runs = dw == 1 ? 1 : kw;
    float* a = apanel;
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < runs; j++) {
        int off = (i * dh * wp + j * dw) * ci, c = 0;
        for (; c + 4 <= run; c += 4, a += 4 * MR) pack_4x4(a, p0 + off + c, p1 + off + c, p2 + off + c, p3 + off + c);
        for (; c < run; c++, a += MR) {
          a[0] = p0[off + c]; a[1] = p1[off + c]; a[2] = p2[off + c];
          a[3] = p3[off + c];
        }
      }
    for (int p = 0; p < panels; p++)
      tile_edge(apanel, bp + p * K * NR, K, y + m0 * co + p * NR, co, rows, min_int(NR, co - p * NR), 0, scratch);
  }
}

/*
 * dw[kh][kw][ci][co] = sum over output pixels m of patch(xp, m)[k] * dy[m][co]: the filter gradient
 * as a GEMM whose rows are filter taps k and whose reduction runs over pixels, in chunks of mc
 * pixels; added to dw where accumulate is set, else written over it. Scratch: apanel mc*4 floats,
 * bpanel ceil(co/8)*mc*8 floats, bases mc ints, koff K ints, scratch 32 floats.
 */
EXPORT("conv2d_filter_grad")
void conv2d_filter_grad(const float* xp, const float* dy, float* dwt, float* apanel, float* bpanel,
                        int* bases, int* koff, float* scratch,
                        int batch, int hp, int wp, int ci, int oh, int ow, int co,
                        int kh, int kw, int sh, int sw, int dh, int dw, int mc, int accumulate) {
  int K = kh * kw * ci, M = batch * oh * ow, panels = (co + NR - 1) / NR;
  for (int i = 0, k = 0; i < kh; i++)
    for (int j = 0; j < kw; j++)
      for (int c = 0; c < ci; c++) koff[k++] = (i * dh * wp + j * dw) * ci + c;
  for (int m0 = 0; m0 < M; m0 += mc) {
    int n = min_int(mc, M - m0);
    for (int i = 0; i < n; i++) bases[i] = pixel_base(m0 + i, oh, ow, hp, wp, ci, sh, sw);
    pack_b(dy + m0 * co, bpanel, n, co);
    for (int k0 = 0; k0 < K; k0 += MR) {
      int rows = min_int(MR, K - k0), last = k0 + rows - 1;
      int o0 = koff[k0], o1 = koff[min_int(k0 + 1, last)], o2 = koff[min_int(k0 + 2, last)];
      int o3 = koff[min_int(k0 + 3, last)];
      float* a = apanel;
      if (o1 == o0 + 1 && o2 == o0 + 2 && o3 == o0 + 3) {
        /* Four channels of one tap: one vector copy per pixel. */
        for (int i = 0; i < n; i++, a += MR) {
          const float* px = xp + bases[i] + o0;
          wasm_v128_store(a, wasm_v128_load(px));
        }
      } else {
        for (int i = 0; i < n; i++, a += MR) {
          const float* px = xp + bases[i];
          a[0] = px[o0]; a[1] = px[o1]; a[2] = px[o2]; a[3] = px[o3];
        }
      }
      for (int p = 0; p < panels; p++)
        tile_edge(apanel, bpanel + p * n * NR, n, dwt + k0 * co + p * NR, co, rows, min_int(NR, co - p * NR), m0 > 0 || accumulate, scratch);
    }
  }
}

/*
 * bt[p][c][8] = w[p*8 + j][c]: w's transpose (a K x n matrix) in panels of 8 rows, zero past row K.
 * Four columns of eight rows at a time, as two 4x4 blocks transposed in registers: the rows are
 * read n floats apart, which one value at a time cost more than the product it packs for when the
 * product is small (a dense layer's dy times its 576 x 288 weights' transpose).
 */
EXPORT("pack_bt")
void pack_bt(const float* w, float* bt, int K, int n) {
  int panels = (K + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    int rows = min_int(NR, K - p * NR), c = 0;
    const float* src = w + p * NR * n;
    float* dst = bt + p * n * NR;
    if (rows == NR) {
      for (; c + 4 <= n; c += 4) {
        transpose_4x4(dst + c * NR, NR, src + c, src + n + c, src + 2 * n + c, src + 3 * n + c);
        transpose_4x4(dst + c * NR + 4, NR, src + 4 * n + c, src + 5 * n + c, src + 6 * n + c, src + 7 * n + c);
      }
    }
    for (; c < n; c++)
      for (int j = 0; j < NR; j++) dst[c * NR + j] = j < rows ? src[j * n + c] : 0.0f;
  }
}

/* x [batch][h][w][c] = the window [top, top + h) x [left, left + w) of xp [batch][hp][wp][c]. */
EXPORT("crop_nhwc")
void crop_nhwc(const float* xp, float* x, int batch, int h, int w, int c, int hp, int wp, int top, int left) {
  for (int n = 0; n < batch; n++)
    for (int y = 0; y < h; y++) {
      const float* src = xp + ((n * hp + y + top) * wp + left) * c;
      float* dst = x + (n * h + y) * w * c;
      for (int i = 0; i < w * c; i++) dst[i] = src[i];
    }
}

/*
 * The input gradient of a convolution: dxp[pixel m's window + tap k] += sum over c of
 * dy[m][c] * w[k][c], i.e. dy times the filter's transpose, each 4x8 tile (four output pixels,
 * eight taps) added into the padded gradient dxp [batch][hp][wp][ci], zeroed by the caller. Eight
 * taps are usually eight neighbouring values of one window row, added as two vectors per pixel.
 * bt from pack_bt; apanel holds co*4 floats, koff K ints, scratch 40 floats.
 */
EXPORT("conv2d_input_grad")
void conv2d_input_grad(const float* dy, const float* bt, float* dxp, float* apanel, int* koff, float* scratch,
                       int batch, int oh, int ow, int co, int hp, int wp, int ci, int kh, int kw, int sh, int sw) {
  int K = kh * kw * ci, M = batch * oh * ow, panels = (K + NR - 1) / NR;
  for (int i = 0, k = 0; i < kh; i++)
    for (int j = 0; j < kw; j++)
      for (int c = 0; c < ci; c++) koff[k++] = (i * wp + j) * ci + c;
  float* sink = scratch + MR * NR; /* where rows past the edge go */
  for (int m0 = 0; m0 < M; m0 += MR) {
    int rows = min_int(MR, M - m0), last = m0 + rows - 1;
    const float* y0 = dy + m0 * co;
    const float* y1 = dy + min_int(m0 + 1, last) * co;
    const float* y2 = dy + min_int(m0 + 2, last) * co;
    const float* y3 = dy + min_int(m0 + 3, last) * co;
    float* a = apanel;
    int c = 0;
    for (; c + 4 <= co; c += 4, a += 4 * MR) pack_4x4(a, y0 + c, y1 + c, y2 + c, y3 + c);
    for (; c < co; c++, a += MR) {
      a[0] = y0[c]; a[1] = y1[c]; a[2] = y2[c]; a[3] = y3[c];
    }
    int b0 = pixel_base(m0, oh, ow, hp, wp, ci, sh, sw);
    int b1 = rows > 1 ? pixel_base(m0 + 1, oh, ow, hp, wp, ci, sh, sw) : -1;
    int b2 = rows > 2 ? pixel_base(m0 + 2, oh, ow, hp, wp, ci, sh, sw) : -1;
    int b3 = rows > 3 ? pixel_base(m0 + 3, oh, ow, hp, wp, ci, sh, sw) : -1;
    for (int p = 0; p < panels; p++) {
      int k0 = p * NR, cols = min_int(NR, K - k0);
      const float* b = bt + p * co * NR;
      if (cols == NR && koff[k0 + NR - 1] - koff[k0] == NR - 1) {
        int o = koff[k0];
        tile4x8_rows(apanel, b, co, dxp + b0 + o, b1 < 0 ? sink : dxp + b1 + o, b2 < 0 ? sink : dxp + b2 + o,
                     b3 < 0 ? sink : dxp + b3 + o, 1);
      } else {
        tile4x8(apanel, b, co, scratch, NR, 0);
        for (int r = 0; r < rows; r++) {
          int base = pixel_base(m0 + r, oh, ow, hp, wp, ci, sh, sw);
          for (int j = 0; j < cols; j++) dxp[base + koff[k0 + j]] += scratch[r * NR + j];
        }
      }
    }
  }
}

/*
 * c[4][8] = a[K][4]^T b[K][8], reps times: the GEMM tile's inner loop alone on operands that stay
 * in L1, for `npm run bench:kernels`; what the convolutions reach at most, below simd_peak by the
 * loads and the loop's own work.
 */
EXPORT("tile_loop")
void tile_loop(const float* a, const float* b, float* c, int K, int reps) {
  for (int r = 0; r < reps; r++) tile4x8(a, b, K, c, NR, 0);
}

/*
 * y = x + bias over rows of `cols` values (a layer's bias added to its NHWC or [batch, units]
 * output). pattern holds the bias four times over (4 * cols floats), so that any row length adds
 * as whole vectors: 4 rows are `cols` vectors whatever `cols` is (3 channels included).
 */
EXPORT("add_bias")
void add_bias(const float* x, const float* pattern, float* y, int rows, int cols) {
  int total = rows * cols, block = 4 * cols, i = 0;
  for (; i + block <= total; i += block)
    for (int v = 0; v < block; v += 4) wasm_v128_store(y + i + v, wasm_f32x4_add(wasm_v128_load(x + i + v), wasm_v128_load(pattern + v)));
  /* i is a multiple of cols here, so pattern[i % cols] is the bias of column i % cols. */
  for (; i < total; i++) y[i] = x[i] + pattern[i % cols];
}

/*
 * out[c] = sum over rows r of x[r][c] (a bias gradient: dy summed over batch and pixels),
 * accumulated in float64 and rounded once. As in add_bias, four rows are `cols` whole vectors; acc
 * (4 * cols doubles) holds a running total for each of their positions, folded at the end.
 */
EXPORT("sum_rows")
void sum_rows(const float* x, double* acc, float* out, int rows, int cols) {
  int total = rows * cols, block = 4 * cols, i = 0;
  for (int j = 0; j < block; j++) acc[j] = 0.0;
  for (; i + block <= total; i += block)
    for (int v = 0; v < block; v += 4) {
      v128_t f = wasm_v128_load(x + i + v);
      wasm_v128_store(acc + v, wasm_f64x2_add(wasm_v128_load(acc + v), wasm_f64x2_promote_low_f32x4(f)));
      wasm_v128_store(acc + v + 2, wasm_f64x2_add(wasm_v128_load(acc + v + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(f, f, 2, 3, 0, 1))));
    }
  for (; i < total; i++) acc[i % cols] += x[i];
  for (int c = 0; c < cols; c++) out[c] = (float)((acc[c] + acc[c + cols]) + (acc[c + 2 * cols] + acc[c + 3 * cols]));
}

/*
 * One Adam update of n floats, x, m, v → xo, mo, vo: the float32 operations of tfjs's
 * AdamOptimizer, in its order (see wasm-adam-step.ts), four lanes at a time. Each of +, ×, ÷ and √
 * rounds once in both, so the result is the same bit for bit; contraction into a multiply-add is
 * switched off, since a fused one would round once where tfjs rounds twice.
 */
EXPORT("adam_step")
void adam_step(const float* x, const float* g, const float* m, const float* v, float* xo, float* mo, float* vo, int n,
               float beta1, float one_minus_beta1, float beta2, float one_minus_beta2, float one_minus_beta1_power,
               float one_minus_beta2_power, float epsilon, float negative_learning_rate) {
#pragma clang fp contract(off)
  const v128_t b1 = wasm_f32x4_splat(beta1), c1 = wasm_f32x4_splat(one_minus_beta1);
  const v128_t b2 = wasm_f32x4_splat(beta2), c2 = wasm_f32x4_splat(one_minus_beta2);
  const v128_t p1 = wasm_f32x4_splat(one_minus_beta1_power), p2 = wasm_f32x4_splat(one_minus_beta2_power);
  const v128_t eps = wasm_f32x4_splat(epsilon), rate = wasm_f32x4_splat(negative_learning_rate);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t grad = wasm_v128_load(g + i);
    const v128_t first = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(grad, c1));
    const v128_t second = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(grad, grad), c2));
    const v128_t denominator = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(second, p2)), eps);
    const v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(first, p1), denominator), rate);
    wasm_v128_store(xo + i, wasm_f32x4_add(step, wasm_v128_load(x + i)));
    wasm_v128_store(mo + i, first);
    wasm_v128_store(vo + i, second);
  }
  for (; i < n; i++) {
    const float grad = g[i];
    const float first = m[i] * beta1 + grad * one_minus_beta1;
    const float second = v[i] * beta2 + (grad * grad) * one_minus_beta2;
    const float step = ((first / one_minus_beta1_power) / (__builtin_sqrtf(second / one_minus_beta2_power) + epsilon)) * negative_learning_rate;
    xo[i] = step + x[i];
    mo[i] = first;
    vo[i] = second;
  }
}

/*
 * n rounds of 12 independent register-only multiply-adds (96 flops a round): the most this build
 * of the module can compute on this CPU and runtime, for `npm run bench:kernels`. The result
 * depends on every accumulator, so nothing is optimised away.
 */
EXPORT("simd_peak")
float simd_peak(int n, float s) {
  v128_t x = wasm_f32x4_splat(s), y = wasm_f32x4_splat(s * 0.5f);
  v128_t c0 = x, c1 = y, c2 = x, c3 = y, c4 = x, c5 = y, c6 = x, c7 = y, c8 = x, c9 = y, c10 = x, c11 = y;
  for (int i = 0; i < n; i++) {
    MADD(c0, x, c0); MADD(c1, y, c1); MADD(c2, x, c2); MADD(c3, y, c3);
    MADD(c4, x, c4); MADD(c5, y, c5); MADD(c6, x, c6); MADD(c7, y, c7);
    MADD(c8, x, c8); MADD(c9, y, c9); MADD(c10, x, c10); MADD(c11, y, c11);
  }
  v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(c0, c1), wasm_f32x4_add(c2, c3)),
                            wasm_f32x4_add(wasm_f32x4_add(c4, c5), wasm_f32x4_add(c6, c7)));
  t = wasm_f32x4_add(t, wasm_f32x4_add(wasm_f32x4_add(c8, c9), wasm_f32x4_add(c10, c11)));
  return wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 3);
}
