import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readRunFolder } from './run-data';
import { referenceTables } from './reference-tables';
import { knownLoss, writeRunFolder } from './testing/fixtures';

/** A fixture run whose config carries published values. */
function runWithReference(reference: unknown): string {
  const dir = writeRunFolder(mkdtempSync(join(tmpdir(), 'mmfuse-reference-')), { trials: 4, epochs: 3, lipschitz: false, analysis: false });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, reference }));
  return dir;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('the published values beside a run', () => {
  it('sets each set-up and loss of the run beside the published mean ± std, per split, and names the lowest set-up in each', () => {
    const dir = runWithReference({
      source: 'Table 9 of a paper',
      trials: 10,
      losses: {
        test: { sum: { joints: [0.5, 0.05], camera: [0.2, 0.01] }, concat: { joints: [0.9, 0.1], camera: [0.1, 0.02] } },
        train: { concat: { joints: [0.4, 0.04] } },
      },
    });
    // Training first, as the paper's tables are laid out.
    const [train, test] = referenceTables(readRunFolder(dir));
    expect(test.id).toBe('reference-test-loss');
    expect(test.title).toBe('Final test MSE beside Table 9 of a paper (mean ± sample std over trials)');
    // Modalities in the run's order (camera, then joints).
    expect(test.head).toEqual(['set-up', 'camera, this run', 'camera, published', 'joints, this run', 'joints, published']);
    const ours = (setup: string, modality: string) => mean(Array.from({ length: 4 }, (_, t) => knownLoss(setup, t, 3, 'test', modality)));
    const sumRow = test.rows[0];
    expect(sumRow[0].text).toBe('sum');
    expect(sumRow[1].mean).toBeCloseTo(ours('sum', 'camera'), 12);
    expect([sumRow[2].mean, sumRow[2].std, sumRow[2].n]).toEqual([0.2, 0.01, 10]);
    expect(sumRow[3].mean).toBeCloseTo(ours('sum', 'joints'), 12);
    expect([sumRow[4].mean, sumRow[4].std]).toEqual([0.5, 0.05]);
    // The fixture's concat has the lower losses here; the publication has sum lowest in joints.
    expect(test.note).toBe('camera: lowest here concat, published concat; joints: lowest here concat, published sum (differs). Published values over 10 trials.');
    expect(train.rows.map((r) => r.map((c) => c.text))).toEqual([['concat', expect.stringMatching(/ ± /), '0.400 ± 0.040']]);
  });

  it('shows nothing without a reference, and leaves out malformed values', () => {
    expect(referenceTables(readRunFolder(runWithReference(undefined)))).toEqual([]);
    const tables = referenceTables(readRunFolder(runWithReference({ source: 'x', losses: { test: { sum: { joints: [1], camera: [0.1, 0.2] }, concat: 'no' } } })));
    expect(tables).toHaveLength(1);
    expect(tables[0].head).toEqual(['set-up', 'camera, this run', 'camera, published']);
    expect(tables[0].rows.map((r) => r[0].text)).toEqual(['sum']);
  });
});
