import { finalLipschitz } from './aggregates';
import type { RunData } from './run-data';

/** A run with no lipschitz.jsonl: the final estimates come from the tracker's summary only. */
function summaryOnly(final: Record<string, unknown>): RunData {
  return { lipschitz: [], summary: { callbacks: { lipschitz: { data: { final } } } } } as unknown as RunData;
}

describe('finalLipschitz from summary.json alone', () => {
  it('names the estimator of every quantity, in the current vocabulary and in the one before it', () => {
    const cell = (quantity: string, bound: string) => ({ mean: 1, std: 0, n: 3, quantity, bound });
    const rows = finalLipschitz(
      summaryOnly({
        concat: {
          model: {
            'spectral ‖J‖₂': cell('spectral-local', 'lower'),
            'Frobenius ‖J‖_F': cell('frobenius-local', 'none'),
            certified: cell('certified', 'upper'),
            'old spectral': cell('spectral', 'lower'),
            'old certified': cell('upper-bound', 'upper'),
          },
        },
      }),
    );
    expect(rows.map((r) => [r.estimator, r.bound])).toEqual([
      ['jacobian-spectral', 'lower'],
      ['jacobian-frobenius', 'none'],
      ['certified-bound', 'upper'],
      ['jacobian-spectral', 'lower'],
      ['certified-bound', 'upper'],
    ]);
  });
});
