import { spawnSync } from 'child_process';
import { join } from 'path';

/**
 * The lint's module-boundary rule, checked on code it has never seen: a source file is linted as if
 * it stood at a path in a project, so each case says what that project may and may not import.
 */
const ROOT = join(__dirname, '..', '..');
const ESLINT = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

function lint(file: string, source: string): { code: number; messages: string[] } {
  const result = spawnSync(process.execPath, [ESLINT, '--config', 'tools/eslint.config.mjs', '--format', 'json', '--stdin', '--stdin-filename', file], {
    cwd: ROOT,
    input: source,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  const reports = JSON.parse(result.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return { code: result.status ?? -1, messages: reports.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`)) };
}

describe('the lint rules on workspace code', () => {
  it('refuse a plugin that imports the trainer', () => {
    const result = lint('plugins/fusion-feature-gate/src/uses-trainer.ts', "import { ExperimentRunner } from '@mmfuse/trainer';\nexport const runner = ExperimentRunner;\n");
    expect(result.code).toBe(1);
    expect(result.messages).toEqual([expect.stringMatching(/^@nx\/enforce-module-boundaries: A project tagged with "scope:plugin" can only depend on libs tagged with "scope:core", "scope:plugin"/)]);
  }, 60000);

  it('refuse the model package importing anything but core, and lipschitz importing the model at run time', () => {
    expect(lint('packages/model/src/uses-config.ts', "import { setupLabel } from '@mmfuse/config';\nexport const label = setupLabel;\n").messages).toEqual([
      expect.stringMatching(/enforce-module-boundaries: A project tagged with "scope:model" can only depend on libs tagged with "scope:core"/),
    ]);
    expect(lint('packages/lipschitz/src/uses-model.ts', "import { buildModel } from '@mmfuse/model';\nexport const build = buildModel;\n").code).toBe(1);
  }, 60000);

  it('let a spec use the building blocks of a fixture, but not the layers above them', () => {
    const fixture = "import { initBackend } from '@mmfuse/backend';\nimport { MultimodalAutoencoder } from '@mmfuse/model';\nimport { SumFusion } from '@mmfuse/fusion-sum';\nexport const parts = [initBackend, MultimodalAutoencoder, SumFusion];\n";
    expect(lint('packages/lipschitz/src/fixture.spec.ts', fixture)).toEqual({ code: 0, messages: [] });
    const trained = "import { TrialTrainer } from '@mmfuse/trainer';\nexport const trainer = TrialTrainer;\n";
    expect(lint('packages/lipschitz/src/trained.spec.ts', trained).messages).toEqual([expect.stringMatching(/enforce-module-boundaries: A project tagged with "scope:lipschitz" can only depend on libs tagged with/)]);
  }, 60000);

  it('refuse reaching into another project by a relative path', () => {
    const result = lint('packages/cli/src/reach.spec.ts', "import { startTestRedis } from '../../testing/src/redis-server';\nexport const start = startTestRedis;\n");
    expect(result.messages).toEqual([expect.stringMatching(/enforce-module-boundaries: Projects cannot be imported by a relative or absolute path/)]);
  }, 60000);

  it('refuse a library function over 80 lines, and let a spec have one', () => {
    // 89 lines: the signature, a declaration, 85 statements, the return and the closing brace.
    const long = `export function long(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(85)}  return n;\n}\n`;
    expect(lint('packages/model/src/long.ts', long).messages).toEqual([expect.stringMatching(/^max-lines-per-function: Function 'long' has too many lines \(89\)\. Maximum allowed is 80/)]);
    expect(lint('packages/model/src/long.spec.ts', long)).toEqual({ code: 0, messages: [] });
  }, 60000);
});
