import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';

/** Run folders with known numbers, in the shapes the trainer, the Lipschitz tracker and the analyses write. */

export const SETUPS = ['sum', 'concat'];
export const MODALITIES = ['camera', 'joints'];
export const SUB_MODELS = ['encoder:camera', 'encoder:joints', 'fusion', 'decoder:camera', 'decoder:joints', 'model'];

/** A known loss: falls with the epoch, differs per set-up, trial, split and modality. */
export function knownLoss(setup: string, trial: number, epoch: number, split: 'train' | 'test', modality: string): number {
  const base = (setup === 'sum' ? 0.9 : 0.6) * (modality === 'camera' ? 0.1 : 1) * (split === 'test' ? 1.2 : 1);
  return base * (1 + 0.15 * trial + 0.02 * trial * trial) * Math.pow(0.8, epoch) + 0.001 * (trial + 1) * epoch;
}

/** A known Lipschitz value: grows with the epoch for sum, shrinks for concat. */
export function knownLipschitz(setup: string, trial: number, epoch: number, subModel: string, estimator: string): number {
  const base = 0.5 + SUB_MODELS.indexOf(subModel) * 0.3;
  const trend = setup === 'sum' ? 1 + 0.2 * epoch : 1 / (1 + 0.1 * epoch);
  return base * trend * (1 + 0.05 * trial) * (estimator === 'certified-bound' ? 3 : 1);
}

function sampleStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A deterministic pseudo-random stream for distances and pixels. */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface RunFolderOptions {
  name?: string;
  trials?: number;
  epochs?: number;
  lipschitz?: boolean;
  analysis?: boolean;
  /** Written per set-up as `parameterNorm` in summary.json. */
  parameterNorm?: number;
  /** Scales every Lipschitz value (for sweep points). */
  lipschitzScale?: number;
}

/** Writes a finished run folder: config.json, run.json, metrics.jsonl, summary.json, and optionally lipschitz.jsonl and analysis/. */
export function writeRunFolder(dir: string, options: RunFolderOptions = {}): string {
  const { name = 'fixture', trials = 3, epochs = 5, lipschitz = true, analysis = true, lipschitzScale = 1 } = options;
  mkdirSync(join(dir, 'trials'), { recursive: true });
  const startedAt = '2026-01-02T03:04:05.000Z';
  writeJson(join(dir, 'config.json'), {
    name,
    description: 'Fixture run for the report tests.',
    seed: 7,
    data: { type: 'synthetic-arm', imageSize: 8 },
    modalities: MODALITIES.map((m) => ({ name: m })),
    fusions: SETUPS.map((type) => ({ type })),
    training: { epochs, trials },
    callbacks: lipschitz ? [{ type: 'lipschitz' }] : [],
  });
  writeJson(join(dir, 'run.json'), {
    name,
    startedAt,
    backend: { name: 'cpu', reason: 'fixture' },
    node: process.version,
    data: { train: 40, test: 10, modalities: [{ name: 'camera', kind: 'image', shape: [8, 8, 3] }, { name: 'joints', kind: 'series', shape: [4, 6] }], description: { source: 'synthetic-arm' } },
  });

  const record = (setup: string, trial: number, epoch: number, split: 'train' | 'test') => {
    const losses: Record<string, number> = {};
    for (const m of MODALITIES) losses[m] = knownLoss(setup, trial, epoch, split, m);
    losses.total = MODALITIES.reduce((s, m) => s + losses[m], 0);
    return losses;
  };
  const lines: string[] = [];
  // Trials outermost, as the runner writes them.
  for (let trial = 0; trial < trials; trial++) {
    for (const setup of SETUPS) {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        lines.push(JSON.stringify({ setup, trial, seed: 100 + trial, epoch, train: record(setup, trial, epoch, 'train'), test: record(setup, trial, epoch, 'test'), seconds: 0.1, memory: { tensors: 10, rssMB: 100 } }));
      }
    }
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);

  const keys = [...MODALITIES, 'total'];
  const setups: Record<string, unknown> = {};
  for (const setup of SETUPS) {
    const pick = (f: (split: 'train' | 'test', key: string) => unknown) => ({
      train: Object.fromEntries(keys.map((k) => [k, f('train', k)])),
      test: Object.fromEntries(keys.map((k) => [k, f('test', k)])),
    });
    const values = (split: 'train' | 'test', key: string, epoch: number) => Array.from({ length: trials }, (_, t) => record(setup, t, epoch, split)[key]);
    setups[setup] = {
      fusion: { type: setup },
      trials,
      diverged: [],
      parameters: 1234,
      ...(options.parameterNorm !== undefined ? { parameterNorm: { mean: options.parameterNorm * (setup === 'sum' ? 1.5 : 1), std: options.parameterNorm / 10, n: trials } } : {}),
      final: pick((split, key) => ({ ...sampleStd(values(split, key, epochs)), values: values(split, key, epochs) })),
      curves: pick((split, key) => {
        const stats = Array.from({ length: epochs }, (_, e) => sampleStd(values(split, key, e + 1)));
        return { mean: stats.map((s) => s.mean), std: stats.map((s) => s.std) };
      }),
      secondsPerTrial: { mean: 1, std: 0, n: trials },
    };
  }
  const callbacks: Record<string, unknown> = {};
  if (lipschitz) {
    const rows: string[] = [];
    for (const setup of SETUPS) {
      for (let trial = 0; trial < trials; trial++) {
        for (let epoch = 0; epoch <= epochs; epoch++) {
          for (const subModel of SUB_MODELS) {
            for (const [estimator, quantity, bound] of [
              ['jacobian-spectral', 'spectral', 'lower'],
              ['certified-bound', 'upper-bound', 'upper'],
            ]) {
              rows.push(JSON.stringify({ setup, trial, epoch, subModel, estimator, quantity, bound, value: lipschitzScale * knownLipschitz(setup, trial, epoch, subModel, estimator), samples: 4, seconds: 0.01, method: 'fixture', norm: 'l2' }));
            }
          }
          if (epoch === 0) rows.push(JSON.stringify({ setup, trial, epoch, subModel: 'fusion', estimator: 'gradient-ratio', value: null, error: 'no second-order gradients' }));
        }
      }
    }
    writeFileSync(join(dir, 'lipschitz.jsonl'), `${rows.join('\n')}\n`);
    callbacks.lipschitz = { name: 'lipschitz', title: 'Lipschitz constants', data: { file: 'lipschitz.jsonl', columns: [], final: {} } };
  }
  writeJson(join(dir, 'summary.json'), {
    name,
    runDir: dir,
    startedAt,
    finishedAt: '2026-01-02T03:05:05.000Z',
    seconds: 60,
    seed: 7,
    backend: { name: 'cpu', reason: 'fixture' },
    parallel: { workers: 1, reason: 'fixture' },
    modalities: MODALITIES,
    trials,
    epochs,
    setups,
    callbacks,
  });
  if (analysis) writeAnalysisFiles(dir, trials);
  return dir;
}

/** analysis/failure-detection.json, robustness.json and reconstructions.json for every set-up. */
export function writeAnalysisFiles(dir: string, trials: number): void {
  mkdirSync(join(dir, 'analysis'), { recursive: true });
  const random = stream(11);
  const failureDetection = {
    setups: Object.fromEntries(
      SETUPS.map((setup, s) => [
        setup,
        {
          trials: Array.from({ length: trials }, (_, trial) => ({
            trial,
            results: ['all', 'camera-blur'].map((failure, f) => {
              const clean = Array.from({ length: 120 }, () => 1 + 2 * random());
              const faulty = Array.from({ length: 80 }, () => 2.5 + (2 + s + f) * random());
              const threshold = [...clean].sort((a, b) => a - b)[Math.floor(0.95 * clean.length)];
              const tp = faulty.filter((d) => d > threshold).length;
              const fp = clean.filter((d) => d > threshold).length;
              return {
                failure,
                threshold,
                confusion: { tp, fp, tn: clean.length - fp, fn: faulty.length - tp },
                tpr: tp / faulty.length,
                fpr: fp / clean.length,
                auc: 0.9 + 0.01 * trial,
                distances: { clean, faulty },
              };
            }),
          })),
        },
      ]),
    ),
  };
  writeJson(join(dir, 'analysis', 'failure-detection.json'), failureDetection);

  const robustness = {
    setups: Object.fromEntries(
      SETUPS.map((setup, s) => [
        setup,
        {
          trials: Array.from({ length: trials }, (_, trial) => ({
            trial,
            curves: MODALITIES.flatMap((perturbed) => [
              { perturbed, mode: 'drop-zeros', severity: 1, loss: { camera: 0.2, joints: 2, total: 2.2 + 0.1 * s + 0.05 * trial } },
              ...[0, 0.25, 0.5, 1].map((severity) => ({ perturbed, mode: 'blur', severity, loss: { camera: 0.1 + severity, joints: 1, total: 1.1 + severity * (1 + s) + 0.02 * trial } })),
            ]),
          })),
        },
      ]),
    ),
  };
  writeJson(join(dir, 'analysis', 'robustness.json'), robustness);

  const shape = [8, 8, 3];
  const size = shape.reduce((a, b) => a * b, 1);
  const reconstructions = {
    setups: Object.fromEntries(
      SETUPS.map((setup, s) => [
        setup,
        {
          modality: 'camera',
          shape,
          samples: Array.from({ length: 2 }, () => {
            const input = Array.from({ length: size }, () => random());
            const output = input.map((v) => Math.min(1, Math.max(0, v + (0.05 + 0.1 * s) * (random() - 0.5))));
            return { input, output };
          }),
        },
      ]),
    ),
  };
  writeJson(join(dir, 'analysis', 'reconstructions.json'), reconstructions);
}

export const LAMBDAS = [1e-6, 1e-3, 1];

/** A sweep over a regulariser's λ: sweep.json and three finished points, plus a fourth that has not finished. */
export function writeSweepFolder(dir: string, options: { parameterNorms?: boolean } = {}): string {
  const points = LAMBDAS.map((lambda, index) => ({ index, assignments: { 'regularizers[0].lambda': lambda }, runDir: `points/${String(index).padStart(3, '0')}` }));
  points.forEach((p, i) =>
    writeRunFolder(join(dir, p.runDir), {
      name: `fixture-sweep-${p.index}`,
      trials: 2,
      epochs: 3,
      analysis: false,
      lipschitzScale: 1 / (1 + 10 * i),
      parameterNorm: options.parameterNorms === false ? undefined : 50 / (1 + 5 * i),
    }),
  );
  const unfinished = { index: 3, assignments: { 'regularizers[0].lambda': 1000 }, runDir: 'points/003' };
  mkdirSync(join(dir, unfinished.runDir), { recursive: true });
  writeJson(join(dir, 'sweep.json'), { name: 'fixture-sweep', parameters: ['regularizers[0].lambda'], points: [...points, unfinished] });
  return dir;
}
