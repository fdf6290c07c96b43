/**
 * A row-major n × d matrix in one flat buffer: row i is data[i·cols … (i+1)·cols). Flat buffers
 * are what `transform` and `distance` return, so results chain without copying into arrays of rows.
 */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/** Either an array of rows (number[][], Float64Array[], ...) or a flat row-major {@link DenseMatrix}. */
export type MatrixInput = ReadonlyArray<ArrayLike<number>> | DenseMatrix;

/** Wraps a flat row-major buffer (e.g. the output of `KernelPcaModel.transform`) as a matrix with `cols` columns. */
export function denseMatrix(data: ArrayLike<number>, cols: number): DenseMatrix {
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`denseMatrix: cols must be a positive integer, got ${cols}`);
  if (data.length % cols !== 0) throw new RangeError(`denseMatrix: ${data.length} values do not fill rows of ${cols}`);
  return { rows: data.length / cols, cols, data };
}

/** A private Float64Array copy of the input with its shape; checks that every row has the same width and every entry is finite. */
export function toDense(input: MatrixInput, what = 'matrix'): { rows: number; cols: number; data: Float64Array } {
  if (isDense(input)) {
    const { rows, cols } = input;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1 || input.data.length !== rows * cols) {
      throw new RangeError(`${what}: data of length ${input.data.length} is not ${rows} × ${cols}`);
    }
    const data = Float64Array.from(input.data);
    assertFinite(data, what);
    return { rows, cols, data };
  }
  const rows = input.length;
  if (rows === 0) throw new RangeError(`${what}: no rows`);
  const cols = input[0].length;
  if (cols === 0) throw new RangeError(`${what}: rows have no columns`);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = input[i];
    if (row.length !== cols) throw new RangeError(`${what}: row ${i} has ${row.length} columns, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j];
  }
  assertFinite(data, what);
  return { rows, cols, data };
}

function isDense(input: MatrixInput): input is DenseMatrix {
  return !Array.isArray(input) && typeof (input as DenseMatrix).cols === 'number';
}

function assertFinite(data: Float64Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new RangeError(`${what}: entry ${i} is ${data[i]} (NaN or infinite latents cannot be scored)`);
  }
}
