import { resolve } from 'path';
import { analysisName, ANALYSIS_FILES, RUN_FILES } from '@mmfuse/runs';
import { estimatorLabel, finalLossValues, lipschitzCurves, lossCurves, orderEstimators, orderSubModels } from './aggregates';
import { reconstructionFigure, robustnessFigure } from './analysis-figures';
import { aucCells, aucHeatmapFigure, confusionMatrixFigure, distanceHistogramFigure, rocFigure } from './detection-figures';
import type { FigureSpec } from './figure-spec';
import { lipschitzCurveFigure } from './lipschitz-figures';
import { finalLossBoxplotFigure, lossCurveFigure } from './loss-figures';
import { lossKeysOf, Optional, readRunFolder, RunData, setupsOf } from './run-data';
import { isSweepFolder, readSweepFolder, SweepData, sweepFinalLoss, sweepLipschitz, sweepParameterNorms } from './sweep-data';
import { lambdaLipschitzFigure, lambdaParameterNormFigure, sweepFinalLossFigure } from './sweep-figures';
import { referenceTables } from './reference-tables';
import { claimsTable, failureDetectionTable, lipschitzTable, lossTable, ReportTable, resourcesTable } from './tables';
import { formatMeanStd } from './statistics';

export interface ReportSection {
  id: string;
  title: string;
  /** Paragraphs under the title. */
  text: string[];
  /** What is missing and what would fill it, shown as a notice. */
  missing: string[];
  tables: ReportTable[];
  /** Names of the figures shown in this section, in order. */
  figures: string[];
  subsections: ReportSection[];
  /** Shown closed (a <details> element) until the reader opens it. */
  folded?: boolean;
  /** Preformatted text (e.g. the resolved config), shown as is. */
  preformatted?: string;
}

export interface ReportContent {
  kind: 'run' | 'sweep';
  dir: string;
  title: string;
  /** Label and value pairs for the page header. */
  header: Array<[string, string]>;
  sections: ReportSection[];
  figures: FigureSpec[];
}

/** The config callbacks that write the optional analysis files. */
export const OPTIONAL_INPUTS = {
  lipschitz: { callback: 'lipschitz', file: RUN_FILES.lipschitz },
  reconstructions: { callback: 'reconstructions', file: analysisName(ANALYSIS_FILES.reconstructions) },
  failureDetection: { callback: 'failure-detection', file: analysisName(ANALYSIS_FILES.failureDetection) },
  robustness: { callback: 'robustness', file: analysisName(ANALYSIS_FILES.robustness) },
} as const;

function section(id: string, title: string, parts: Partial<Omit<ReportSection, 'id' | 'title'>> = {}): ReportSection {
  return { id, title, text: [], missing: [], tables: [], figures: [], subsections: [], ...parts };
}

function howToFill(kind: keyof typeof OPTIONAL_INPUTS, what: string): string {
  const { callback, file } = OPTIONAL_INPUTS[kind];
  return `No ${file} in this run, so there are no ${what}. Add { "type": "${callback}" } to the config's "callbacks" to record them in the next run.`;
}

function optionalProblem<T>(input: Optional<T>, kind: keyof typeof OPTIONAL_INPUTS, what: string): string | undefined {
  if (input.state === 'missing') return howToFill(kind, what);
  if (input.state === 'damaged') return `${input.file} could not be used (${input.reason}), so there are no ${what}; rewrite it by rerunning its analysis.`;
  return undefined;
}

function formatDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "synthetic-arm · 15 train / 5 test samples · camera image 16×16×3, joints series 4×6". */
function dataDescription(data: RunData): string {
  const info = data.run?.data;
  const configData = data.config?.data as Record<string, unknown> | undefined;
  const source = (info?.description?.source as string | undefined) ?? (configData?.type as string | undefined);
  const parts: string[] = [];
  if (source) parts.push(source);
  if (info?.train !== undefined) parts.push(`${info.train} train / ${info.test ?? '?'} test samples`);
  if (info?.modalities?.length) parts.push(info.modalities.map((m) => `${m.name}${m.kind ? ` ${m.kind}` : ''}${m.shape ? ` ${m.shape.join('×')}` : ''}`).join(', '));
  else if (data.summary.modalities?.length) parts.push(`modalities ${data.summary.modalities.join(', ')}`);
  return parts.length > 0 ? parts.join(' · ') : 'not recorded (no run.json)';
}

function runHeader(data: RunData): Array<[string, string]> {
  const s = data.summary;
  const backend = s.backend ?? data.run?.backend;
  const header: Array<[string, string]> = [
    ['run', s.name ?? data.run?.name ?? data.dir],
    ['date', formatDate(s.startedAt ?? data.run?.startedAt)],
    ['backend', backend?.name ? `${backend.name}${backend.reason ? ` (${backend.reason})` : ''}` : 'unknown'],
    ['data', dataDescription(data)],
    ['set-ups', setupsOf(data).join(', ')],
    ['trials × epochs', `${s.trials ?? '?'} × ${s.epochs ?? '?'}${s.seed !== undefined ? `, seed ${s.seed}` : ''}`],
  ];
  const description = data.config?.description;
  if (typeof description === 'string') header.push(['description', description]);
  header.push(['folder', data.dir]);
  return header;
}

/** Tables of one run: final losses and final Lipschitz values. */
function runTables(data: RunData): { tables: ReportTable[]; missing: string[] } {
  const tables = [lossTable(data, 'test'), lossTable(data, 'train'), ...referenceTables(data)];
  const lipschitz = lipschitzTable(data);
  if (lipschitz) tables.push(lipschitz);
  return { tables, missing: lipschitz ? [] : [howToFill('lipschitz', 'Lipschitz estimates or certified bounds')] };
}

/** What every section of a run's report shares: its set-ups and losses, and the figures collected so far. */
interface RunSections {
  readonly data: RunData;
  readonly lossAxis: LossAxis;
  readonly setups: string[];
  readonly losses: string[];
  readonly figures: FigureSpec[];
}

/** Adds a figure to a section (and to the report's figures); nothing when there is none. */
function addFigure(run: RunSections, target: ReportSection, figure: FigureSpec | undefined): void {
  if (!figure) return;
  run.figures.push(figure);
  target.figures.push(figure.name);
}

function lossCurvesSection(run: RunSections): ReportSection {
  const curves = section('loss-curves', 'Loss curves');
  const points = lossCurves(run.data);
  if (points.length > 0) {
    addFigure(run, curves, lossCurveFigure(points, 'train', run.setups, run.losses, run.lossAxis));
    addFigure(run, curves, lossCurveFigure(points, 'test', run.setups, run.losses, run.lossAxis));
    if (run.data.metrics.length === 0) curves.text.push('No metrics.jsonl: curves are from summary.json.');
  } else curves.missing.push('No metrics.jsonl and no curves in summary.json: nothing to plot.');
  return curves;
}

function finalLossesSection(run: RunSections): ReportSection {
  const boxes = section('final-losses', 'Final loss distributions');
  const finals = finalLossValues(run.data);
  if (finals.length > 0) addFigure(run, boxes, finalLossBoxplotFigure(finals, run.setups, run.losses));
  else boxes.missing.push('summary.json lists no per-trial final losses ("values").');
  return boxes;
}

function lipschitzSection(run: RunSections): ReportSection {
  const { data } = run;
  const lipschitz = section('lipschitz', 'Lipschitz constants');
  const lipschitzPoints = lipschitzCurves(data);
  if (lipschitzPoints.length > 0) {
    const subModels = orderSubModels(lipschitzPoints.map((p) => p.subModel));
    for (const estimator of orderEstimators(lipschitzPoints.map((p) => p.estimator))) addFigure(run, lipschitz, lipschitzCurveFigure(lipschitzPoints, estimator, run.setups, subModels));
  } else if (data.summary.callbacks?.lipschitz) {
    lipschitz.missing.push(`${data.lipschitzFile} not found: only the final values (table above) are known, no curves.`);
  } else lipschitz.missing.push(howToFill('lipschitz', 'Lipschitz curves'));
  if (data.lipschitzFailures.length > 0) {
    const failed = [...new Set(data.lipschitzFailures.map((f) => `${estimatorLabel(f.estimator)} on ${f.subModel}: ${f.error}`))];
    lipschitz.text.push(`Estimates that failed (${data.lipschitzFailures.length} rows): ${failed.slice(0, 5).join('; ')}${failed.length > 5 ? '; …' : ''}`);
  }
  return lipschitz;
}

/** The run's set-ups, then any others an analysis file lists. */
const allSetups = (run: RunSections, extra: string[]) => [...run.setups, ...extra.filter((s) => !run.setups.includes(s))];

function reconstructionsSection(run: RunSections): ReportSection {
  const { data } = run;
  const reconstructions = section('reconstructions', 'Reconstructions');
  const problem = optionalProblem(data.reconstructions, 'reconstructions', 'reconstructions to show');
  if (problem) reconstructions.missing.push(problem);
  else if (data.reconstructions.state === 'ok') addFigure(run, reconstructions, reconstructionFigure(data.reconstructions.value, run.setups));
  return reconstructions;
}

function detectionSection(run: RunSections): ReportSection {
  const { data } = run;
  const detection = section('failure-detection', 'Failure detection');
  const problem = optionalProblem(data.failureDetection, 'failureDetection', 'kPCA distance distributions or confusion matrices');
  if (problem) detection.missing.push(problem);
  else if (data.failureDetection.state === 'ok') {
    const file = data.failureDetection.value;
    const order = allSetups(run, Object.keys(file.setups));
    const cells = aucCells(file);
    const chance = cells.filter((c) => c.chance).length;
    if (cells.length > 0) {
      const best = [...cells].sort((a, b) => b.auc - a.auc)[0];
      const above = cells.filter((c) => !c.chance && c.auc > 0.5).length;
      const below = cells.filter((c) => !c.chance && c.auc < 0.5).length;
      detection.text.push(
        chance === cells.length
          ? `No failure is told from clean samples better than chance in any set-up: every AUC is within 1.96 standard errors of 0.5 (best ${best.auc.toFixed(2)}, ${best.failure} with ${best.setup}).`
          : `${above} of ${cells.length} failure × set-up cells are detected beyond chance (AUC above 0.5 by more than 1.96 standard errors: faulty latents lie farther from the clean ones); best ${best.auc.toFixed(2)}, ${best.failure} with ${best.setup}. ${below > 0 ? `${below} lie below chance (faulty latents closer to the clean centre than clean ones, so the distance rule misses them). ` : ''}${chance} are indistinguishable from chance.`,
      );
    }
    addFigure(run, detection, aucHeatmapFigure(file, order, cells));
    addFigure(run, detection, rocFigure(file, order, cells));
    const details = section('failure-detection-details', 'Per-failure details: rates, distance distributions, confusion matrices', { folded: true });
    details.tables.push(failureDetectionTable(file));
    const histogram = distanceHistogramFigure(file, order);
    if (histogram) addFigure(run, details, histogram);
    else details.missing.push(`${data.failureDetection.file} has no "distances": only the confusion matrices can be shown.`);
    addFigure(run, details, confusionMatrixFigure(file, order));
    detection.subsections.push(details);
  }
  return detection;
}

function robustnessSection(run: RunSections): ReportSection {
  const { data } = run;
  const robustness = section('robustness', 'Robustness to perturbed modalities');
  const problem = optionalProblem(data.robustness, 'robustness', 'robustness curves');
  if (problem) robustness.missing.push(problem);
  else if (data.robustness.state === 'ok') {
    const figure = robustnessFigure(data.robustness.value, allSetups(run, Object.keys(data.robustness.value.setups)));
    if (figure) addFigure(run, robustness, figure);
    else robustness.missing.push(`${data.robustness.file} holds no curves.`);
  }
  return robustness;
}

function claimsSection({ data }: RunSections): ReportSection {
  const claims = section('claims', 'Claims');
  const rerun = `run mmfuse claims ${data.dir}, then write this report again`;
  if (data.claims.state === 'ok') claims.tables.push(claimsTable(data.claims.value));
  else if (data.claims.state === 'missing') claims.missing.push(`No claims.json in this run, so the paper’s claims are not tested here: ${rerun}.`);
  else claims.missing.push(`${data.claims.file} could not be used (${data.claims.reason}): ${rerun}.`);
  return claims;
}

function resourcesSection(run: RunSections): ReportSection {
  const table = resourcesTable(run.data);
  return table
    ? section('resources', 'Time and memory', { tables: [table] })
    : section('resources', 'Time and memory', { missing: ['No metrics.jsonl with seconds and memory per epoch.'] });
}

function configSection(data: RunData): ReportSection {
  if (!data.config) return section('config', 'Configuration', { missing: ['No config.json in this run folder.'] });
  return section('config', 'Configuration (as resolved, defaults filled in; rerun with mmfuse run config.json)', {
    preformatted: JSON.stringify(data.config, null, 2),
    folded: true,
  });
}

/** How loss axes are drawn: log where the values span a decade or more (`auto`), or as asked. */
export type LossAxis = 'auto' | 'log' | 'linear';

/** Sections and figure specs of a run folder, without rendering anything. */
export function runContent(data: RunData, lossAxis: LossAxis = 'auto'): ReportContent {
  const run: RunSections = { data, lossAxis, setups: setupsOf(data), losses: lossKeysOf(data), figures: [] };
  const { tables, missing } = runTables(data);
  const sections: ReportSection[] = [
    section('tables', 'Final values', { text: ['Statistics over finished trials; diverged trials are listed, never averaged.'], tables, missing }),
    claimsSection(run),
    lossCurvesSection(run),
    finalLossesSection(run),
    lipschitzSection(run),
    reconstructionsSection(run),
    detectionSection(run),
    robustnessSection(run),
    resourcesSection(run),
    configSection(data),
  ];
  if (data.notes.length > 0) sections.push(section('notes', 'Notes on the files', { text: data.notes }));
  return { kind: 'run', dir: data.dir, title: `mmfuse run ${data.summary.name ?? ''}`.trim(), header: runHeader(data), sections, figures: run.figures };
}

function pointLabel(sweep: SweepData, assignments: Record<string, unknown>): string {
  return sweep.parameters.map((p) => `${p} = ${JSON.stringify(assignments[p])}`).join(', ');
}

/** Sections and figure specs of a sweep folder: an overview of the points, the ablation figures and each point's tables. */
export function sweepContent(sweep: SweepData): ReportContent {
  const figures: FigureSpec[] = [];
  const finished = sweep.points.filter((p) => p.run);
  const setups = [...new Set(finished.flatMap((p) => setupsOf(p.run!)))];
  const parameter = sweep.parameters[0] ?? 'point';

  const overviewRows = sweep.points.map((p) => {
    const cells = setups.map((s) => {
      const cell = p.run?.summary.setups[s]?.final.test.total;
      return cell ? { text: formatMeanStd(cell), mean: cell.mean, std: cell.std, n: cell.n } : { text: '—' };
    });
    return [{ text: String(p.index) }, { text: pointLabel(sweep, p.assignments) }, { text: p.run ? p.run.summary.name ?? p.runDir : p.problem ?? '' }, ...cells];
  });
  const overview = section('points', 'Points', {
    text: [`${sweep.points.length} points over ${sweep.parameters.join(', ') || 'no named parameters'}; ${finished.length} finished.`],
    tables: [{ id: 'sweep-points', title: 'Final test MSE (total) per point and set-up (mean ± sample std over trials)', head: ['point', 'assignments', 'run', ...setups], rows: overviewRows }],
  });

  const ablation = section('ablation', `Ablation over ${parameter}`);
  const add = (figure: FigureSpec) => {
    figures.push(figure);
    ablation.figures.push(figure.name);
  };
  const lipschitz = sweepLipschitz(sweep);
  if (lipschitz.length > 0) add(lambdaLipschitzFigure(lipschitz, parameter, setups));
  else ablation.missing.push(`No point recorded Lipschitz values, so there is no Lipschitz panel. Add { "type": "lipschitz" } to the base config's "callbacks".`);
  const norms = sweepParameterNorms(sweep);
  if (norms.length > 0) add(lambdaParameterNormFigure(norms, parameter, setups));
  else ablation.missing.push('The parameter-norm panel is skipped: no point’s summary.json records a parameter norm (setups.<set-up>.parameterNorm).');
  const losses = sweepFinalLoss(sweep);
  if (losses.length > 0) add(sweepFinalLossFigure(losses, parameter, setups));
  if (finished.length === 0) ablation.missing.push('No point has finished yet.');

  const points = section('point-tables', 'Each point', {
    subsections: sweep.points.map((p) => {
      const title = `Point ${p.index}: ${pointLabel(sweep, p.assignments)}`;
      if (!p.run) return section(`point-${p.index}`, title, { missing: [`${p.runDir}: ${p.problem}`] });
      const { tables, missing } = runTables(p.run);
      return section(`point-${p.index}`, title, { text: [p.run.dir], tables: tables.map((t) => ({ ...t, id: `point-${p.index}-${t.id}` })), missing });
    }),
  });

  const first = finished[0]?.run;
  const backend = first?.summary.backend ?? first?.run?.backend;
  const dates = finished.map((p) => p.run!.summary.startedAt).filter((d): d is string => typeof d === 'string').sort();
  const header: Array<[string, string]> = [
    ['sweep', sweep.name],
    ['date', formatDate(dates[0])],
    ['parameters', sweep.parameters.join(', ') || '—'],
    ['points', `${sweep.points.length} (${finished.length} finished)`],
    ['backend', backend?.name ? `${backend.name}${backend.reason ? ` (${backend.reason})` : ''}` : 'unknown'],
    ['data', first ? dataDescription(first) : 'unknown'],
    ['set-ups', setups.join(', ') || '—'],
    ['folder', sweep.dir],
  ];
  return { kind: 'sweep', dir: sweep.dir, title: `mmfuse sweep ${sweep.name}`, header, sections: [overview, ablation, points], figures };
}

/** Reads a run or sweep folder and lays out its report: sections, tables and figure specs (nothing rendered or written). */
export function reportContent(dir: string, lossAxis: LossAxis = 'auto'): ReportContent {
  const root = resolve(dir);
  return isSweepFolder(root) ? sweepContent(readSweepFolder(root)) : runContent(readRunFolder(root), lossAxis);
}

/** The figure specs of a run or sweep folder's report. */
export function reportFigures(dir: string): FigureSpec[] {
  return reportContent(dir).figures;
}
