import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * Every command the root README shows, checked against the repository as it is: npm scripts
 * exist, files and folders it names exist, each `mmfuse` command and option is one the CLI
 * accepts, and the commands that run in seconds here are run as written (output redirected to a
 * scratch folder). The long ones (npm start, npm test, bash .ci/run) are what CI itself runs; the
 * queue's need a Redis server and are run by packages/cli/src/queue.spec.ts.
 */
const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'mmfuse.js');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Command lines of the README's shell blocks and inline code, comments and placeholders as written. */
function commands(): string[] {
  const blocks = [...README.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1].split('\n'));
  const inline = [...README.matchAll(/`((?:npx mmfuse|mmfuse|npm run|npm start|npm test|node tools\/)[^`]*)`/g)].map((m) => m[1]);
  return [...new Set([...blocks, ...inline].map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#')))];
}

const all = commands();
// The command table of "Command line" gives commands without the program name.
const table = [...README.matchAll(/^\| `((?:run|worker|queue|report|claims|export|validate|list|schema|doctor|data)(?![.\w])[^`]*)` \|/gm)].map((m) => `mmfuse ${m[1]}`);
const mmfuseLines = [...new Set([...all.filter((l) => /^(npx )?mmfuse \S/.test(l)).map((l) => l.replace(/^npx /, '')), ...table])];
const mmfuse = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120000 });
// One --help per command: each start loads every built-in plugin (about a second).
const helps = new Map<string, ReturnType<typeof mmfuse>>();
const helpOf = (command: string[]) => {
  const key = command.join(' ');
  if (!helps.has(key)) helps.set(key, mmfuse([...command, '--help']));
  return helps.get(key)!;
};

describe('the README commands', () => {
  it('finds the commands of the quick start, the command line and development', () => {
    expect(all).toEqual(expect.arrayContaining(['npm install', 'npm start', 'npm test', 'npm run lint', 'bash .ci/run']));
    expect(mmfuseLines.length).toBeGreaterThan(20);
    expect(table.length).toBeGreaterThan(10);
  });

  it('names only npm scripts that exist', () => {
    const named = all.flatMap((l) => [...l.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((s) => !(s in scripts))).toEqual([]);
    for (const s of ['start', 'test']) expect(scripts[s]).toBeDefined();
  });

  it('names only files and folders that exist', () => {
    const paths = all.flatMap((l) => l.split(/\s+/)).filter((w) => /^(configs|packages|plugins|docs|tools|\.ci)\/[\w./-]+$/.test(w));
    expect(paths.length).toBeGreaterThan(2);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it.each(mmfuseLines.map((l) => [l]))('accepts the command and options of `%s`', (line) => {
    const words = line.split(/\s+/).slice(1);
    const command = words.filter((w, i) => !w.startsWith('-') && !w.includes('<') && !w.includes('/') && !w.includes('.') && (i === 0 || (words[0] === 'data' && i === 1) || (words[0] === 'queue' && i === 1)));
    const help = helpOf(command);
    expect({ line, code: help.status }).toEqual({ line, code: 0 });
    for (const option of words.map((w) => w.replace(/^\[/, '').replace(/\]$/, '')).filter((w) => /^--?[a-z]/.test(w))) {
      expect({ line, option, known: help.stdout.includes(option.replace(/=.*$/, '')) }).toEqual({ line, option, known: true });
    }
  });

  it('names configs that validate', () => {
    const configs = [...new Set(all.flatMap((l) => l.split(/\s+/)).filter((w) => /^configs\/[\w./-]+\.json$/.test(w)))];
    expect(configs.length).toBeGreaterThan(1);
    for (const config of configs) {
      const r = mmfuse(['validate', config]);
      expect({ config, code: r.status, stderr: r.stderr }).toEqual({ config, code: 0, stderr: '' });
    }
  }, 150000);

  describe('run as written', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'mmfuse-readme-commands-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it.each([
      ['mmfuse doctor', [] as string[]],
      ['mmfuse list data', []],
      ['npx mmfuse data preview configs/scenes/failures/pick-place.json --no-failures -o pick-place.png', ['pick-place.png']],
    ])('%s', (line, outputs) => {
      expect(all.some((l) => l.replace(/^npx /, '').startsWith(line.replace(/^npx /, '').split(' -o ')[0]))).toBe(true);
      const args = line.replace(/^npx /, '').split(/\s+/).slice(1).map((w) => (outputs.includes(w) ? join(scratch, w) : w));
      const r = mmfuse(args);
      expect({ line, code: r.status, stderr: r.stderr.split('\n').filter((l) => l.startsWith('error')) }).toEqual({ line, code: 0, stderr: [] });
      for (const out of outputs) expect(statSync(join(scratch, out)).size).toBeGreaterThan(1000);
    }, 150000);
  });
});
