import { existsSync, statSync } from 'fs';
import { join, relative, sep } from 'path';
import { parse } from 'csv-parse/sync';
import { UserInputError } from '@mmfuse/core';
import { listDataFolder, readTextFile } from '@mmfuse/data';
import { looksLikeRecording, parseFileName, parseStem, RoboMnistStem, whyNotRecording } from './robomnist-names';

/** The files of one recording, as published: kinematics and CSI for all, camera and microphone per receiver. */
export const PUBLISHED_FILES = ['pos', 'csi', 'cam1', 'mic1', 'cam2', 'mic2', 'cam3', 'mic3'] as const;

/** One recording (a repetition) found in the folder. */
export interface IndexedRecording extends RoboMnistStem {
  /** Its files by key (`pos`, `csi`, `cam1`, `mic2`, …), absolute paths. */
  files: Record<string, string>;
  /** Published files it lacks. */
  missing: string[];
  /** False when the manifest says the trial is incomplete. */
  complete: boolean;
}

/** A file that looks like a recording but is not used, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface RoboMnistIndex {
  directory: string;
  /** The manifest.csv the index followed, when the folder has one. */
  manifest?: string;
  recordings: IndexedRecording[];
  skipped: SkippedFile[];
}

/** Condition folders are one level down (`00_Ar1_Vhigh_Ac0/`); deeper nesting is allowed up to this depth. */
const MAX_DEPTH = 4;
/** Largest manifest read (the published one is about 1 MB). */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const keyOf = (file: { receiver: number | 'all'; kind: string }) => (file.receiver === 'all' ? file.kind : `${file.kind}${file.receiver}`);

/** Every file under `directory` (condition folders included), relative paths, sorted. */
function filesUnder(directory: string, followLinksOutside: boolean): string[] {
  const found: string[] = [];
  const walk = (folder: string, depth: number) => {
    for (const name of listDataFolder(folder, directory, followLinksOutside, 'data.followLinksOutside').sort()) {
      const path = join(folder, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) {
        if (depth < MAX_DEPTH) walk(path, depth + 1);
      } else if (stat?.isFile()) found.push(relative(directory, path));
    }
  };
  walk(directory, 1);
  return found;
}

/**
 * The recordings of a RoboMNIST folder in its published layout: condition folders
 * (`NN_Ar<arm>_V<speed>_Ac<digit>/`) holding one file per recording and modality, or any flatter
 * layout with the same file names. With a `manifest.csv` at the top, the manifest says which trials
 * there are and which are complete. Nothing is dropped silently: every file that looks like a
 * recording but is not used is in `skipped`, with the reason.
 */
export function indexRoboMnist(directory: string, options: { followLinksOutside?: boolean } = {}): RoboMnistIndex {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new UserInputError(`data.directory: ${directory} is not a folder`);
  const files = filesUnder(directory, options.followLinksOutside === true);
  const manifestFile = join(directory, 'manifest.csv');
  return existsSync(manifestFile) ? fromManifest(directory, manifestFile, files) : fromNames(directory, files);
}

function fromNames(directory: string, files: readonly string[]): RoboMnistIndex {
  const byStem = new Map<string, IndexedRecording>();
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    const name = file.split(sep).pop()!;
    if (!looksLikeRecording(name)) continue;
    const parsed = parseFileName(name);
    if (!parsed) {
      skipped.push({ file, reason: whyNotRecording(name)! });
      continue;
    }
    const entry = byStem.get(parsed.stem) ?? { ...parsed, files: {}, missing: [], complete: true };
    const key = keyOf(parsed);
    const earlier = entry.files[key];
    if (earlier) skipped.push({ file, reason: `the same recording file as ${relative(directory, earlier)}` });
    else entry.files[key] = join(directory, file);
    byStem.set(parsed.stem, entry);
  }
  const recordings = [...byStem.values()].map(withMissing);
  return { directory, recordings, skipped };
}

const withMissing = (r: IndexedRecording): IndexedRecording => ({ ...r, missing: PUBLISHED_FILES.filter((k) => !r.files[k]) });

/** The manifest's columns that name a recording's files, by file key. */
const MANIFEST_COLUMNS: Record<string, string> = { position: 'pos', csi: 'csi', camera_1: 'cam1', audio_1: 'mic1', camera_2: 'cam2', audio_2: 'mic2', camera_3: 'cam3', audio_3: 'mic3' };

function fromManifest(directory: string, manifestFile: string, files: readonly string[]): RoboMnistIndex {
  const text = readTextFile(manifestFile, MAX_MANIFEST_BYTES);
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new UserInputError(`${manifestFile}: not a readable CSV (${(error as Error).message.split('\n')[0].slice(0, 200)})`);
  }
  const header = Object.keys(rows[0] ?? {});
  for (const column of ['id', 'complete', 'position']) {
    if (!header.includes(column)) throw new UserInputError(`${manifestFile}: no "${column}" column (it has ${header.join(', ') || 'none'}); expected the published manifest's columns`);
  }
  const listed = new Set<string>();
  const recordings: IndexedRecording[] = rows.map((row, i) => {
    const stem = row.id.split('/').pop() ?? '';
    let parsed: RoboMnistStem;
    try {
      parsed = parseStem(stem);
    } catch {
      throw new UserInputError(`${manifestFile} line ${i + 2}: id "${row.id.slice(0, 120)}" does not end in a recording name (Rp<rep>_Ac<digit>_V<speed>_Ar<arm>_UNC<u>)`);
    }
    const recording: IndexedRecording = { ...parsed, files: {}, missing: [], complete: /^(true|1|yes)$/i.test(row.complete) };
    for (const [column, key] of Object.entries(MANIFEST_COLUMNS)) {
      const path = row[column];
      if (!path) continue;
      if (path.split(/[\\/]/).includes('..') || path.startsWith('/')) throw new UserInputError(`${manifestFile} line ${i + 2}: ${column} "${path.slice(0, 120)}" leaves the data folder`);
      listed.add(join(path));
      if (existsSync(join(directory, path))) recording.files[key] = join(directory, path);
    }
    return withMissing(recording);
  });
  const skipped = files
    .filter((file) => looksLikeRecording(file.split(sep).pop()!) && !listed.has(file))
    .map((file) => ({ file, reason: 'not listed in manifest.csv' }));
  return { directory, manifest: manifestFile, recordings, skipped };
}
