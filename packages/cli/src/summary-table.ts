import Table from 'cli-table3';
import { formatMeanStd } from '@mmfuse/core';
import type { RunSummary } from '@mmfuse/runs';

/** The paper's Table 1 shape: final losses per set-up, mean ± std over trials. */
export function summaryTable(summary: RunSummary): string {
  const losses = [...summary.modalities, 'total'];
  const table = new Table({
    head: ['set-up', ...losses.map((l) => `test ${l}`), 'train total', 's / trial'],
    style: { head: [], border: [] },
  });
  for (const [label, setup] of Object.entries(summary.setups)) {
    // A set-up none of whose trials finished (all failed or diverged) has no statistics.
    const cell = (value: Parameters<typeof formatMeanStd>[0] | undefined) => (value ? formatMeanStd(value) : '-');
    table.push([label, ...losses.map((l) => cell(setup.final.test[l])), cell(setup.final.train.total), setup.trials > 0 ? setup.secondsPerTrial.mean.toFixed(1) : '-']);
  }
  const diverged = Object.entries(summary.setups).filter(([, s]) => s.diverged.length > 0);
  const notes = diverged.map(([label, s]) => `${label}: ${s.diverged.length} trial(s) diverged (${s.diverged.map((d) => `#${d.trial} in epoch ${d.epoch}${d.subModel ? `, ${d.subModel}` : ''}`).join('; ')}), left out of the statistics`);
  for (const [label, s] of Object.entries(summary.setups)) {
    for (const f of s.failed ?? []) notes.push(`${label}: trial ${f.trial} failed (${f.error}), left out of the statistics; mmfuse run --resume ${summary.runDir} tries it again`);
  }
  const parts = [`MSE after ${summary.epochs} epochs, mean ± std over ${summary.trials} trials (${summary.backend.name} backend):\n${table.toString()}`];
  if (notes.length > 0) parts.push(notes.join('\n'));
  for (const extra of Object.values(summary.callbacks)) {
    if (!extra.table) continue;
    const t = new Table({ head: [...extra.table.head], style: { head: [], border: [] } });
    for (const row of extra.table.rows) t.push([...row]);
    parts.push(`${extra.title ?? extra.name}:\n${t.toString()}`);
  }
  return parts.join('\n');
}
