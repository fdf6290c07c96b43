import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { RunFolder } from './run-folder';

describe('run folders', () => {
  it('remove the temporary files of writes a killed process left, and keep those of live processes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmfuse-run-folder-'));
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'run.json'), '{}');
    // The pid of a process that has ended.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dead = Number(ended.stdout);
    mkdirSync(join(dir, 'trials'));
    mkdirSync(join(dir, 'analysis'));
    const files = {
      deadTrial: join(dir, 'trials', `sum.trial0.json.${dead}.tmp`),
      deadAnalysis: join(dir, 'analysis', `robustness.json.${dead}.tmp`),
      live: join(dir, 'trials', `sum.trial1.json.${process.pid}.tmp`),
      kept: join(dir, 'trials', 'sum.trial2.json'),
      unrelated: join(dir, 'notes.tmp'),
    };
    for (const file of Object.values(files)) writeFileSync(file, 'x');
    RunFolder.open(dir).removeStaleTemporaries();
    expect(Object.fromEntries(Object.entries(files).map(([k, f]) => [k, existsSync(f)]))).toEqual({ deadTrial: false, deadAnalysis: false, live: true, kept: true, unrelated: true });
  });
});
