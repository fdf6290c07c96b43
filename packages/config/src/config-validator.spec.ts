import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { Container } from 'inversify';
import { ComponentRegistration, ComponentRegistry, coreModule, UserInputError } from '@mmfuse/core';
import { ConfigValidator } from './config-validator';
import { expandSweep, parseJsonPath, pointLabel } from './sweep';
import { experimentSchema } from './experiment-schema';
import { readConfigFile } from './read-config-file';

const never = () => {
  throw new Error('not built here');
};

function registry(): ComponentRegistry {
  const container = new Container();
  container.load(coreModule);
  const r = container.get<ComponentRegistry>(ComponentRegistry);
  const add = (registration: Omit<ComponentRegistration, 'create'>) => r.register({ ...registration, create: never } as ComponentRegistration);
  add({
    kind: 'data',
    type: 'toy',
    description: 'toy data',
    optionsSchema: { type: 'object', additionalProperties: false, properties: { samples: { type: 'integer', minimum: 1, default: 10, description: 'How many.' } } },
    modalities: () => [
      { name: 'image', kind: 'image', shape: [8, 8, 1] },
      { name: 'joints', kind: 'series', shape: [4, 2] },
    ],
  });
  for (const kind of ['encoder', 'decoder'] as const) {
    add({
      kind,
      type: 'mlp',
      description: `mlp ${kind}`,
      optionsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          units: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [16], description: 'Hidden widths.' },
          activation: { enum: ['relu', 'tanh'], default: 'relu', description: 'Nonlinearity.' },
        },
      },
    });
  }
  add({
    kind: 'regularizer',
    type: 'l2',
    description: 'l2',
    optionsSchema: { type: 'object', additionalProperties: false, properties: { lambda: { type: 'number', minimum: 0, default: 0.0001, description: 'Weight.' } } },
  });
  for (const type of ['sum', 'concat', 'attention']) {
    add({ kind: 'fusion', type, description: `${type} fusion`, optionsSchema: { type: 'object', additionalProperties: false, properties: {} } });
  }
  return r;
}

function validConfig(): Record<string, any> {
  return {
    name: 'toy',
    data: { type: 'toy' },
    modalities: [
      { name: 'image', encoder: { type: 'mlp' }, decoder: { type: 'mlp', units: [8, 8] } },
      { name: 'joints', encoder: { type: 'mlp', activation: 'tanh' }, decoder: { type: 'mlp' } },
    ],
    fusions: [{ type: 'sum' }, { type: 'concat', label: 'cat' }],
  };
}

function problems(config: unknown): string[] {
  try {
    new ConfigValidator(registry()).validate(config);
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return (error as UserInputError).lines;
  }
  throw new Error('expected the config to be rejected');
}

describe('ConfigValidator', () => {
  it('accepts a valid config and fills in every default', () => {
    const config = new ConfigValidator(registry()).validate(validConfig());
    expect(config.seed).toBe(0);
    expect(config.backend).toBe('auto');
    expect(config.training).toEqual({ epochs: 20, batchSize: 32, learningRate: 0.001, trials: 3, corruption: [], corruptTest: false, workers: 'auto', processes: 1, checkpointEvery: 1, microBatch: 'auto' });
    expect(config.data).toEqual({ type: 'toy', samples: 10 });
    expect(config.modalities[0].encoder).toEqual({ type: 'mlp', units: [16], activation: 'relu' });
    expect(config.modalities[0].lossWeight).toBe(1);
    expect(config.fusions[1]).toEqual({ type: 'concat', label: 'cat' });
    expect(config.output.dir).toBe('runs');
  });

  it('does not change the object it was given', () => {
    const raw = validConfig();
    const copy = JSON.parse(JSON.stringify(raw));
    new ConfigValidator(registry()).validate(raw);
    expect(raw).toEqual(copy);
  });

  it('reports a misspelt type, a wrong-typed option and an unknown key, one line each with its path', () => {
    const config = validConfig();
    config.fusions[0].type = 'atention';
    config.modalities[0].encoder.units = 'wide';
    config.training = { epochs: 2, learningrate: 0.1 };
    const lines = problems(config);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fusions\[0\]\.type: "atention" is not a registered fusion type\. Did you mean "attention"\?/),
        'modalities[0].encoder.units: expected array, got string "wide"',
        expect.stringMatching(/^training\.learningrate: unknown key "learningrate"\. Did you mean "learningRate"\?/),
      ]),
    );
    expect(lines).toHaveLength(3);
  });

  it('names unknown component options with the closest option name', () => {
    const config = validConfig();
    config.modalities[1].decoder.unit = [3];
    expect(problems(config)).toEqual([expect.stringMatching(/^modalities\[1\]\.decoder\.unit: unknown key "unit"\. Did you mean "units"\? Allowed here: type, units, activation/)]);
  });

  it('checks enums, ranges, missing keys and types at the top level', () => {
    const config = validConfig();
    // Backend names are an open list (plugins add some); the schema checks their form, the run the name.
    config.backend = 'GPU!';
    config.seed = -1;
    delete config.fusions;
    config.training = { trials: 0, batchSize: 1.5 };
    config.modalities[0].encoder.activation = 'relus';
    const lines = problems(config);
    expect(lines).toEqual(
      expect.arrayContaining([
        'backend: string "GPU!" does not match the pattern ^[a-z][a-z0-9-]*$',
        'seed: expected a number >= 0, got number -1',
        expect.stringMatching(/^fusions: required key "fusions" is missing/),
        'training.trials: expected a number >= 1, got number 0',
        'training.batchSize: expected integer, got number 1.5',
        'modalities[0].encoder.activation: expected one of "relu", "tanh", got string "relus". Did you mean "relu"?',
      ]),
    );
  });

  it('checks modality names against what the data source provides, and unique labels', () => {
    const config = validConfig();
    config.modalities[1].name = 'joint';
    config.fusions.push({ type: 'sum' });
    config.training = { corruption: [{ modality: 'imag', kind: 'gaussian' }] };
    const lines = problems(config);
    expect(lines).toEqual([
      'modalities[1].name: data source "toy" provides no modality "joint". Did you mean "joints"? It provides: image, joints',
      'fusions[2].label: set-up "sum" appears twice; give each fusion a unique "label"',
      'training.corruption[0].modality: "imag" is not one of the config\'s modalities. Did you mean "image"? Modalities: image, joint',
    ]);
  });

  it('validates a set-up\'s own regularizers, with defaults and paths', () => {
    const config = validConfig();
    config.fusions[0].regularizers = [{ type: 'l2' }];
    expect(new ConfigValidator(registry()).validate(config).fusions[0]).toEqual({ type: 'sum', regularizers: [{ type: 'l2', lambda: 0.0001 }] });
    config.fusions[1].regularizers = [{ type: 'l2', lamda: 1 }, { type: 'l3' }, 5];
    expect(problems(config)).toEqual([
      expect.stringMatching(/^fusions\[1\]\.regularizers\[0\]\.lamda: unknown key "lamda"\. Did you mean "lambda"\?/),
      expect.stringMatching(/^fusions\[1\]\.regularizers\[1\]\.type: "l3" is not a registered regularizer type\. Did you mean "l2"\?/),
      'fusions[1].regularizers[2]: expected a regularizer object with a "type", got number 5',
    ]);
  });

  it('treats __proto__ and constructor keys as unknown keys, never as prototypes', () => {
    const raw = JSON.parse('{"name":"x","data":{"type":"toy"},"modalities":[],"fusions":[{"type":"sum"}],"__proto__":{"polluted":1},"constructor":1}');
    const lines = problems(raw);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^\["__proto__"\]: unknown key|^__proto__: unknown key/), expect.stringMatching(/^constructor: unknown key/)]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('experimentSchema', () => {
  it('accepts what the validator accepts and rejects a misspelt type, for editors', () => {
    const schema = experimentSchema(registry());
    const ajv = new Ajv2020({ strict: true, discriminator: true, allErrors: true });
    const check = ajv.compile(schema);
    expect(check(validConfig())).toBe(true);
    const bad = validConfig();
    bad.fusions[0].type = 'atention';
    expect(check(bad)).toBe(false);
    const badOption = validConfig();
    badOption.modalities[0].encoder.chanels = 3;
    expect(check(badOption)).toBe(false);
  });

  it('describes every property it declares', () => {
    const schema = experimentSchema(registry());
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
      for (const [key, property] of Object.entries(properties ?? {})) {
        if (!property.description && !property.$ref) undocumented.push(`${path}.${key}`);
        walk(property, `${path}.${key}`);
      }
      for (const [key, child] of Object.entries(node)) if (key !== 'properties') walk(child, `${path}/${key}`);
    };
    walk(schema, '');
    expect(undocumented).toEqual([]);
  });
});

describe('readConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmfuse-config-'));
  const write = (name: string, content: string | Buffer) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('parses JSON objects', () => {
    expect(readConfigFile(write('ok.json', '{"name": "x"}'))).toEqual({ name: 'x' });
  });

  it('names the file and the line and column of a syntax error', () => {
    const file = write('broken.json', '{\n  "name": "x",\n  "seed": ,\n}');
    expect(() => readConfigFile(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:11: not valid JSON: ValueExpected at ","`));
  });

  it('refuses values nested deeper than 64 levels, naming where', () => {
    const file = write('deep.json', `{"name": "x", "data": {"type": "toy", "extra": ${'['.repeat(5000)}1${']'.repeat(5000)}}}`);
    expect(() => readConfigFile(file)).toThrow(/deep\.json: data\.extra\[0\]\[0\].*: nested deeper than 64 levels; a config is at most 64 levels deep$/);
  });

  it('refuses missing files, non-objects, invalid UTF-8 and huge files in one line', () => {
    expect(() => readConfigFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the config \(ENOENT\)/);
    expect(() => readConfigFile(write('array.json', '[1]'))).toThrow(/expected a JSON object at the top level, got an array/);
    expect(() => readConfigFile(write('latin1.json', Buffer.from([0x7b, 0x22, 0x6e, 0xe9, 0x22, 0x3a, 0x31, 0x7d])))).toThrow(/is not valid UTF-8 \(first bad byte at offset 3\)/);
    expect(() => readConfigFile(write('huge.json', Buffer.alloc(5 * 1024 * 1024, 0x20)))).toThrow(/the file is 5\.0 MiB; a config may be at most 4 MiB/);
  });
});

describe('errors of options with alternatives', () => {
  function withStride(stride: unknown): string[] {
    const r = registry();
    r.register({
      kind: 'encoder',
      type: 'conv',
      description: 'conv',
      optionsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          stride: {
            description: 'Stride: one number or [height, width].',
            default: 2,
            anyOf: [
              { type: 'integer', minimum: 1 },
              { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 },
            ],
          },
        },
      },
      create: never,
    });
    const config = validConfig();
    config.modalities[0].encoder = { type: 'conv', stride };
    try {
      new ConfigValidator(r).validate(config);
    } catch (error) {
      return (error as UserInputError).lines;
    }
    return [];
  }

  it('gives one line listing the alternatives when none fits the type', () => {
    expect(withStride('two')).toEqual(['modalities[0].encoder.stride: expected integer or array, got string "two" (Stride: one number or [height, width])']);
  });

  it('reports the deeper problem of the alternative that was meant', () => {
    expect(withStride([0, 2])).toEqual(['modalities[0].encoder.stride[0]: expected a number >= 1, got number 0']);
    expect(withStride(0)).toEqual(['modalities[0].encoder.stride: expected a number >= 1, got number 0']);
    expect(withStride(2)).toEqual([]);
  });
});

describe('sweeps', () => {
  it('expands a grid into every combination and a list into its points, each without the sweep', () => {
    const config = { ...validConfig(), regularizers: [{ type: 'l2' }], sweep: { grid: { 'regularizers[0].lambda': [1e-6, 1e-3], 'modalities[1].encoder.activation': ['relu', 'tanh', 'relu'] } } };
    new ConfigValidator(registry()).validate(config);
    const points = expandSweep(config);
    expect(points.map((p) => p.assignments)).toEqual([
      { 'regularizers[0].lambda': 1e-6, 'modalities[1].encoder.activation': 'relu' },
      { 'regularizers[0].lambda': 1e-6, 'modalities[1].encoder.activation': 'tanh' },
      { 'regularizers[0].lambda': 1e-6, 'modalities[1].encoder.activation': 'relu' },
      { 'regularizers[0].lambda': 1e-3, 'modalities[1].encoder.activation': 'relu' },
      { 'regularizers[0].lambda': 1e-3, 'modalities[1].encoder.activation': 'tanh' },
      { 'regularizers[0].lambda': 1e-3, 'modalities[1].encoder.activation': 'relu' },
    ]);
    expect(points[4].config.sweep).toBeUndefined();
    expect((points[4].config.regularizers as any)[0]).toEqual({ type: 'l2', lambda: 1e-3 });
    expect((points[4].config.modalities as any)[1].encoder.activation).toBe('tanh');
    // The sweep's own config is left as it was.
    expect(config.regularizers[0]).toEqual({ type: 'l2' });
    const listed = expandSweep({ ...validConfig(), sweep: { points: [{ 'data.samples': 5 }, { 'data.samples': 7, name: 'seven' }] } });
    expect(listed.map((p) => [p.index, (p.config.data as any).samples, p.config.name])).toEqual([
      [0, 5, 'toy'],
      [1, 7, 'seven'],
    ]);
  });

  it('names the sweep entry of a path that leads nowhere, and the point whose values break the config', () => {
    expect(problems({ ...validConfig(), sweep: { grid: { 'regularizers[3].lambda': [1] } } })).toEqual([
      'sweep.grid["regularizers[3].lambda"]: "regularizers[3].lambda": index 3 is outside regularizers, which has 0 entries',
    ]);
    expect(problems({ ...validConfig(), sweep: { points: [{ 'training.epochs': 5 }, { 'training.epochs': -1 }] } })).toEqual([
      expect.stringMatching(/^sweep point 1 \(training\.epochs = -1\): training\.epochs: .*>= 1/),
    ]);
    expect(problems({ ...validConfig(), sweep: { grid: { 'a..b': [1] } } })[0]).toMatch(/"a\.\.b" is not a JSON path/);
    expect(problems({ ...validConfig(), sweep: { grid: { 'training.epochs': [1] }, points: [{ 'training.epochs': 2 }] } })[0]).toMatch(/either "grid".*or "points"/);
  });

  it('reads JSON paths with indices and quoted keys', () => {
    expect(parseJsonPath('fusions[0].projection')).toEqual(['fusions', 0, 'projection']);
    expect(parseJsonPath('data["odd key"].x')).toEqual(['data', 'odd key', 'x']);
    expect(pointLabel({ 'regularizers[0].lambda': 1e-6, 'fusions[0].projection': 'mlp' })).toBe('lambda=0.000001,projection=mlp');
  });
});
