import 'reflect-metadata';
import { join } from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { L2_REGULARIZER_SCHEMA } from './l2-regularizer';
import { SPECTRAL_NORM_CONSTRAINT_SCHEMA } from './spectral-norm-constraint';
import { WEIGHT_DECAY_REGULARIZER_SCHEMA } from './weight-decay-regularizer';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Compiled the way the config package compiles component options: draft 2020-12, strict, defaults. */
function compile(schema: object) {
  return new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
}

describe('regularizer option schemas', () => {
  it.each([
    ['l2', L2_REGULARIZER_SCHEMA, { lambda: 1e-4, subModels: '*', parameters: '**' }],
    ['weight-decay', WEIGHT_DECAY_REGULARIZER_SCHEMA, { lambda: 1e-4, subModels: '*' }],
    ['spectral-norm', SPECTRAL_NORM_CONSTRAINT_SCHEMA, { maxNorm: 1, subModels: '*', parameters: '**/kernel', powerIterations: 1, matricize: false }],
  ])('%s: fills in defaults and describes every property', (_, schema, defaults) => {
    const validate = compile(schema);
    const options = {};
    expect(validate(options)).toBe(true);
    expect(options).toEqual(defaults);
    for (const [key, property] of Object.entries(schema.properties)) {
      expect([key, typeof (property as { description?: unknown }).description]).toEqual([key, 'string']);
    }
  });

  it('accepts λ over nine orders of magnitude, and a pattern or a list of patterns', () => {
    const validate = compile(L2_REGULARIZER_SCHEMA);
    for (let e = -8; e <= 0; e++) expect(validate({ lambda: 10 ** e })).toBe(true);
    expect(validate({ lambda: 0 })).toBe(true);
    expect(validate({ parameters: ['fusion/projection*/kernel', 'encoder:*/**/kernel'], subModels: ['fusion', 'encoder:*'] })).toBe(true);
  });

  it('rejects unknown keys, negative λ, empty patterns and a non-positive bound', () => {
    expect(compile(L2_REGULARIZER_SCHEMA)({ lamda: 1 })).toBe(false);
    expect(compile(L2_REGULARIZER_SCHEMA)({ lambda: -1e-3 })).toBe(false);
    expect(compile(L2_REGULARIZER_SCHEMA)({ parameters: '' })).toBe(false);
    expect(compile(L2_REGULARIZER_SCHEMA)({ parameters: [] })).toBe(false);
    expect(compile(WEIGHT_DECAY_REGULARIZER_SCHEMA)({ parameters: '**' })).toBe(false);
    expect(compile(SPECTRAL_NORM_CONSTRAINT_SCHEMA)({ maxNorm: 0 })).toBe(false);
    expect(compile(SPECTRAL_NORM_CONSTRAINT_SCHEMA)({ powerIterations: 1.5 })).toBe(false);
  });
});

describe('regularizers module', () => {
  it('is found from its package folder and registers l2, weight-decay and spectral-norm', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    expect(registry.list('regularizer').map((r) => `${r.type} (${r.source})`)).toEqual([
      'l2 (@mmfuse/regularizers)',
      'spectral-norm (@mmfuse/regularizers)',
      'weight-decay (@mmfuse/regularizers)',
    ]);
    const l2 = registry.create('regularizer', { type: 'l2', lambda: 1e-3, subModels: '*', parameters: 'fusion/projection*/kernel' }, { name: 'regularizers[0]' });
    expect(l2.name).toBe('regularizers[0]');
    expect(l2.getConfig?.()).toEqual({ type: 'l2', lambda: 1e-3, subModels: '*', parameters: 'fusion/projection*/kernel' });
    const constraint = registry.create('regularizer', { type: 'spectral-norm', maxNorm: 1, subModels: 'fusion', parameters: '**', powerIterations: 1, matricize: false }, { name: 'c' });
    expect(typeof constraint.afterStep).toBe('function');
    expect(constraint.penalty).toBeUndefined();
  });
});
