import { basename, extname, resolve } from 'path';
import { deriveSeed, MultimodalDataset } from '@mmfuse/core';
import { renderContactSheet } from '../preview/contact-sheet';
import { writeContactSheetPng } from '../preview/contact-sheet-png';
import { ContactSheetOptions, resolveContactSheetOptions } from '../preview/contact-sheet-options';
import { ExperimentRunner } from '@mmfuse/trainer';
import { loadExperiment, rethrowInConfigFile } from '../load-experiment';
import { dataProgress } from '../terminal-reporter';

export interface DataPreviewOptions {
  out?: string;
  samples?: number;
  severity?: number;
  /** false with --no-failures, the named types with --failures a,b; absent: every failure. */
  failures?: boolean | string[];
  split?: 'train' | 'test';
}

/**
 * `mmfuse data preview <config>`: a PNG contact sheet of the config's data (clean samples, the
 * process failures its labels mark, and each library failure applied), made from exactly the data
 * a run of that config would train on.
 */
export async function dataPreviewCommand(file: string, options: DataPreviewOptions): Promise<void> {
  const sheetOptions: ContactSheetOptions = { samples: options.samples, severity: options.severity, failures: options.failures, split: options.split };
  // Bad options fail before the data load, which can take minutes for simulated scenes.
  resolveContactSheetOptions(sheetOptions);
  const experiment = loadExperiment(file);
  const { config } = experiment;
  let data: MultimodalDataset;
  try {
    // The source a run creates, so the preview shows the samples a run trains on.
    data = await experiment.container.get(ExperimentRunner).dataSource(config, resolve(file, '..'), dataProgress(process.stderr)).load();
  } catch (error) {
    rethrowInConfigFile(file, error);
  }
  const sheet = renderContactSheet(data, { ...sheetOptions, seed: deriveSeed(config.seed, 'preview') });
  const out = options.out ?? `${basename(file, extname(file))}-preview.png`;
  writeContactSheetPng(out, sheet);
  process.stdout.write(`${out}: ${sheet.width}×${sheet.height} px, ${sheet.rows.length} rows: ${sheet.rows.join('; ')}\n`);
}
