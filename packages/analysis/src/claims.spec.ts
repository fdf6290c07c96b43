import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UserInputError } from '@mmfuse/core';
import { checkClaims, formatClaims } from './claims';

const losses = { attention: [0.1, 0.11, 0.12, 0.13, 0.14], concat: [0.4, 0.41, 0.42, 0.415, 0.405], sum: [0.3, 0.5, 0.7, 0.2, 0.9] };

function runFolder(options: { lipschitz?: boolean; detection?: boolean; reverse?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-claims-'));
  const setups = Object.fromEntries(
    Object.entries(losses).map(([setup, values]) => [setup, { fusion: { type: setup }, final: { test: { total: { values: options.reverse && setup === 'attention' ? values.map((v) => v + 1) : values } } } }]),
  );
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ setups }));
  if (options.lipschitz !== false) {
    const rows: object[] = [];
    for (const setup of Object.keys(losses)) {
      for (let trial = 0; trial < 5; trial++) {
        const scale = setup === 'attention' ? 1 : 3;
        for (const epoch of [1, 2]) {
          // Epoch 1 values are larger and must be ignored: claims use each trial's last evaluation.
          const late = epoch === 2 ? 1 : 10;
          rows.push({ setup, trial, epoch, subModel: 'model', estimator: 'jacobian-spectral', value: (scale + trial * 0.01) * late });
          rows.push({ setup, trial, epoch, subModel: 'fusion', estimator: 'jacobian-spectral', value: (scale + trial * 0.02) * late });
          rows.push({ setup, trial, epoch, subModel: 'encoder:camera', estimator: 'jacobian-spectral', value: (5 + trial) * late });
          rows.push({ setup, trial, epoch, subModel: 'decoder:camera', estimator: 'jacobian-spectral', value: (2 + 0.5 * trial) * late });
          rows.push({ setup, trial, epoch, subModel: 'model', estimator: 'jacobian-frobenius', value: 1000 });
        }
      }
    }
    writeFileSync(join(dir, 'lipschitz.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"torn`);
  }
  if (options.detection !== false) {
    mkdirSync(join(dir, 'analysis'));
    const auc = (setup: string, trial: number) => (setup === 'attention' ? 0.9 : 0.6) + trial * 0.01;
    const file = { setups: Object.fromEntries(Object.keys(losses).map((s) => [s, { trials: [0, 1, 2, 3, 4].map((trial) => ({ trial, results: [{ failure: 'a', auc: auc(s, trial) }, { failure: 'b', auc: auc(s, trial) }] })) }])) };
    writeFileSync(join(dir, 'analysis', 'failure-detection.json'), JSON.stringify(file));
  }
  return dir;
}

describe('checkClaims', () => {
  it('finds every claim holding when the data say so, with exact rank-test p-values', () => {
    const results = checkClaims(runFolder());
    expect(results.map((r) => [r.claim, r.status])).toEqual([
      ['attention has the lowest test loss', 'holds'],
      ['attention has the lowest Lipschitz constants (whole model and fusion)', 'holds'],
      ['encoders have larger Lipschitz constants than decoders', 'holds'],
      ['concatenation varies less across trials than summation', 'holds'],
      ['attention separates faulty from clean latents best (ROC-AUC)', 'holds'],
    ]);
    // 5 against 5, completely separated: one arrangement of C(10, 5) = 252.
    const loss = results[0].tests[0];
    expect(loss.p).toBeCloseTo(1 / 252, 10);
    expect(loss.cliffsDelta).toBe(-1);
    expect(loss.a).toEqual({ label: 'attention', mean: expect.closeTo(0.12, 12), std: expect.closeTo(Math.sqrt(0.00025), 10), n: 5 });
    // Encoders exceed decoders in every one of 5 paired trials: one-sided p = 1/2⁵.
    expect(results[2].tests[0].p).toBeCloseTo(1 / 32, 10);
    // The last evaluation only: epoch 1's tenfold values never enter.
    expect(results[1].tests[0].a.mean).toBeCloseTo(1.02, 10);
  });

  it('says which claims the data contradict, and which the run cannot test', () => {
    const reversed = checkClaims(runFolder({ reverse: true, lipschitz: false, detection: false }));
    expect(reversed.map((r) => r.status)).toEqual(['does not hold', 'not testable', 'not testable', 'holds', 'not testable']);
    expect(reversed[1].reason).toMatch(/lipschitz\.jsonl/);
    expect(reversed[4].reason).toMatch(/failure-detection/);
    const text = formatClaims(reversed);
    expect(text).toMatch(/^DOES NOT HOLD +attention has the lowest test loss/m);
    expect(text).toMatch(/✗ final test loss \(total\), attention < concat: attention 1\.120/);
  });

  it('names a missing summary as bad input', () => {
    expect(() => checkClaims(mkdtempSync(join(tmpdir(), 'mmfuse-claims-')))).toThrow(UserInputError);
  });
});
