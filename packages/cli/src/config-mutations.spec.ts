import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { main } from './main';

const CONFIGS = join(__dirname, '..', '..', '..', 'configs');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Mutation {
  /** What was done, for the report. */
  label: string;
  /** JSON path the error must name (a prefix of it is accepted for whole-value replacements). */
  path: string;
  text: string | Buffer;
}

function configFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return configFiles(path);
    return name.endsWith('.json') && name !== 'schema.json' ? [path] : [];
  });
}

const key = (base: string, k: string | number) => (typeof k === 'number' ? `${base}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? (base ? `${base}.${k}` : k) : `${base}[${JSON.stringify(k)}]`);

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** Every place in a config, with the object holding it. */
function places(value: Json, path = '', out: Array<{ path: string; parent: Json; key: string | number; value: Json }> = []): typeof out {
  const children: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : value && typeof value === 'object' ? Object.entries(value) : [];
  for (const [k, v] of children) {
    out.push({ path: key(path, k), parent: value, key: k, value: v });
    places(v, key(path, k), out);
  }
  return out;
}

function at(root: Json, path: string): { parent: Json; key: string | number } {
  const found = places(root).find((p) => p.path === path)!;
  return { parent: found.parent, key: found.key };
}

/** A value of another JSON type than `value` (never valid where `value` was). */
function wrongType(value: Json): Json {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number') return 'not a number';
  if (typeof value === 'boolean') return 'yes';
  if (Array.isArray(value)) return { not: 'an array' };
  return ['not', 'an', 'object'];
}

function deepNesting(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** The `type` of the innermost component (an object with a string `type`) holding `path`, or ''. */
function componentTypeAt(values: Map<string, Json>, path: string): string {
  for (let prefix = path; prefix.length > 0; prefix = prefix.replace(/(\.[^.[]+|\[[^\]]*\])$/, '')) {
    const value = values.get(prefix);
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.type === 'string') return value.type;
    if (!/(\.[^.[]+|\[[^\]]*\])$/.test(prefix)) break;
  }
  return '';
}

/**
 * The mutation corpus of one config: every rule applied at every place it applies, once per place
 * of a component type (the third attention set-up of a list repeats the first one's mutations at
 * the same schema node, so it is left out).
 */
function mutations(original: Json): Mutation[] {
  const out: Mutation[] = [];
  const seen = new Set<string>();
  const values = new Map(places(original).map((p) => [p.path, p.value] as const));
  const mutate = (label: string, path: string, change: (copy: Json) => void, raw?: (text: string) => string) => {
    const where = `${label}|${componentTypeAt(values, path)}|${path.replace(/\[\d+\]/g, '[*]')}`;
    if (seen.has(where)) return;
    seen.add(where);
    const copy = clone(original);
    change(copy);
    const text = JSON.stringify(copy, null, 2);
    out.push({ label, path, text: raw ? raw(text) : text });
  };
  for (const place of places(original)) {
    if (place.path.startsWith('$schema') || place.path.startsWith('description')) continue;
    // Free-text values accept any string, so only their type can be wrong.
    mutate('wrong type', place.path, (copy) => {
      const { parent, key: k } = at(copy, place.path);
      (parent as Record<string, Json>)[k as string] = wrongType(place.value);
    });
    mutate('null', place.path, (copy) => {
      const { parent, key: k } = at(copy, place.path);
      (parent as Record<string, Json>)[k as string] = null;
    });
    if (typeof place.value === 'number') {
      for (const [label, v] of [['huge number', 1e308], ['negative number', -1e9]] as const) {
        if (place.path.endsWith('lossWeight') && v > 0) continue;
        mutate(label, place.path, (copy) => {
          const { parent, key: k } = at(copy, place.path);
          (parent as Record<string, Json>)[k as string] = v;
        });
      }
    }
    if (Array.isArray(place.value) && /(^|\.)(fusions|modalities|channels|plugins)$/.test(place.path) && place.value.length > 0 && !place.path.endsWith('plugins')) {
      mutate('empty array', place.path, (copy) => {
        const { parent, key: k } = at(copy, place.path);
        (parent as Record<string, Json>)[k as string] = [];
      });
    }
    if (place.value && typeof place.value === 'object' && !Array.isArray(place.value)) {
      mutate('unknown key', key(place.path, 'bogusKey'), (copy) => {
        const { parent, key: k } = at(copy, place.path);
        ((parent as Record<string, Json>)[k as string] as Record<string, Json>).bogusKey = 1;
      });
      for (const special of ['__proto__', 'constructor']) {
        // Written into the text: a JS object literal would set the prototype instead of a key.
        mutate(`${special} key`, key(place.path, special), (copy) => {
          const { parent, key: k } = at(copy, place.path);
          ((parent as Record<string, Json>)[k as string] as Record<string, Json>).zzMarker = 0;
        }, (text) => text.replace('"zzMarker": 0', `"${special}": { "polluted": true }`));
      }
      if ('type' in (place.value as object)) {
        mutate('missing type', key(place.path, 'type'), (copy) => {
          const { parent, key: k } = at(copy, place.path);
          delete ((parent as Record<string, Json>)[k as string] as Record<string, Json>).type;
        });
      }
      mutate('deep nesting', place.path, (copy) => {
        const { parent, key: k } = at(copy, place.path);
        (parent as Record<string, Json>)[k as string] = 'DEEP';
      }, (text) => text.replace('"DEEP"', deepNesting(20000)));
    }
  }
  for (const required of ['name', 'data', 'modalities', 'fusions']) {
    mutate('missing key', required, (copy) => delete (copy as Record<string, Json>)[required]);
  }
  return out;
}

function validate(file: string): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    return true;
  });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return main(['node', 'mmfuse', 'validate', file]).then((code) => {
    write.mockRestore();
    out.mockRestore();
    return { code, lines };
  });
}

describe('a generated corpus of broken configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-mutations-'));
  const corpus: Array<Mutation & { source: string }> = [];
  const shapes = new Set<string>();
  for (const source of configFiles(CONFIGS)) {
    const original = JSON.parse(readFileSync(source, 'utf8'));
    // Configs that differ only in values (the same scene at another station, say) give the same
    // mutations at the same paths; one of each shape keeps the corpus fast without losing a path.
    const shape = places(original)
      .map((p) => `${p.path}:${Array.isArray(p.value) ? 'array' : p.value === null ? 'null' : typeof p.value}${p.path.endsWith('.type') && p.path !== 'data.type' ? `=${String(p.value)}` : ''}`)
      .join('|');
    if (shapes.has(shape)) continue;
    shapes.add(shape);
    for (const m of mutations(original)) corpus.push({ ...m, source: relative(CONFIGS, source) });
    corpus.push({ label: 'invalid UTF-8', path: '(file)', source: relative(CONFIGS, source), text: Buffer.concat([Buffer.from(readFileSync(source, 'utf8').slice(0, 40)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]) });
    corpus.push({ label: 'truncated', path: '(file)', source: relative(CONFIGS, source), text: readFileSync(source, 'utf8').slice(0, 100) });
  }

  it('ends every case in clean one-line errors naming the file and the JSON path, exit code 2, no stack trace', async () => {
    const failures: string[] = [];
    let index = 0;
    for (const m of corpus) {
      const file = join(dir, `case-${index++}.json`);
      writeFileSync(file, m.text);
      const { code, lines } = await validate(file);
      const where = `${m.source}: ${m.label} at ${m.path}`;
      if (code !== 2) failures.push(`${where}: exit code ${code}`);
      else if (lines.length === 0) failures.push(`${where}: no message`);
      else if (lines.some((l) => !l.startsWith(`error: ${file}`))) failures.push(`${where}: a line without the file: ${lines.find((l) => !l.startsWith(`error: ${file}`))}`);
      else if (lines.some((l) => /^\s+at |internal error/.test(l))) failures.push(`${where}: a stack trace or internal error: ${lines.join(' | ')}`);
      else if (m.path !== '(file)' && !lines.some((l) => l.includes(`${file}: ${m.path.split(/[.[]/)[0]}`))) failures.push(`${where}: no line names the path: ${lines.join(' | ')}`);
      else if (m.path !== '(file)' && lines.length > 1) failures.push(`${where}: ${lines.length} lines for one problem: ${lines.join(' | ')}`);
    }
    // The size of the corpus and the result go to the issue note: N cases, N clean errors, 0 crashes.
    process.stdout.write(`config mutation corpus: ${corpus.length} cases, ${corpus.length - failures.length} clean errors, ${failures.length} failures\n`);
    expect(failures).toEqual([]);
    expect(corpus.length).toBeGreaterThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 300000);

  it('refuses a 50 MB file without reading it, and writes no run folder for a broken config', async () => {
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024, 0x20));
    const { code, lines } = await validate(huge);
    expect(code).toBe(2);
    expect(lines).toEqual([`error: ${huge}: the file is 50.0 MiB; a config may be at most 4 MiB`]);
    const runs = join(dir, 'runs');
    mkdirSync(runs);
    const broken = join(dir, 'case-0.json');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const result = await main(['node', 'mmfuse', 'run', broken, '--out', join(runs, 'out')]);
    stderr.mockRestore();
    expect(result).toBe(2);
    expect(existsSync(join(runs, 'out'))).toBe(false);
  }, 60000);
});
