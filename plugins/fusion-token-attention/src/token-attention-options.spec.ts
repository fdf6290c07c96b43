import 'reflect-metadata';
import { dirname, join } from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { Container } from 'inversify';
import { initBackend } from '@mmfuse/backend';
import { ComponentRegistry, coreModule, loadPlugins } from '@mmfuse/core';
import { ConfigValidator } from '@mmfuse/config';
import { buildModel } from '@mmfuse/model';
import { TOKEN_ATTENTION_DEFAULTS, TOKEN_ATTENTION_SCHEMA } from './token-attention-options';

const PLUGINS = [...['@mmfuse/encoders', '@mmfuse/data'].map((p) => dirname(require.resolve(`${p}/package.json`))), join(__dirname, '..')];

function registry(): ComponentRegistry {
  const container = new Container();
  container.load(coreModule);
  loadPlugins(container, PLUGINS, '/');
  return container.get<ComponentRegistry>(ComponentRegistry);
}

/** An experiment whose two latents are 6 and 10 wide, fused by `fusion`. */
function experiment(fusion: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'token-attention-options',
    data: { type: 'synthetic-arm', episodes: 2, framesPerEpisode: 8, imageSize: 8, window: 2, windowStep: 2 },
    modalities: [
      { name: 'camera', encoder: { type: 'mlp', units: [4], latentSize: 6 }, decoder: { type: 'mlp' } },
      { name: 'joints', encoder: { type: 'mlp', units: [4], latentSize: 10 }, decoder: { type: 'mlp' } },
    ],
    fusions: [fusion],
    training: { epochs: 1, batchSize: 4 },
  };
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    return (error as { lines?: string[] }).lines ?? [(error as Error).message];
  }
  throw new Error('expected a UserInputError');
}

describe('TOKEN_ATTENTION_SCHEMA', () => {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const validate = ajv.compile(TOKEN_ATTENTION_SCHEMA);

  it('fills in the documented defaults and leaves tokenSize to the latent widths', () => {
    const options = {};
    expect(validate(options)).toBe(true);
    expect(options).toEqual({ ...TOKEN_ATTENTION_DEFAULTS });
    expect(options).toEqual({ heads: 4, init: 'pytorch', spectralNorm: false, powerIterations: 1, residual: true });
  });

  it('rejects unknown keys and values of the wrong type or out of range, and describes every property', () => {
    for (const bad of [{ head: 2 }, { heads: 0 }, { heads: 1.5 }, { tokenSize: 0 }, { tokenSize: '8' }, { init: 'xavier' }, { residual: 'yes' }, { spectralNorm: 1 }, { powerIterations: 0 }]) {
      expect([bad, validate({ ...bad })]).toEqual([bad, false]);
    }
    for (const [key, property] of Object.entries(TOKEN_ATTENTION_SCHEMA.properties)) {
      expect([key, typeof (property as { description?: unknown }).description]).toEqual([key, 'string']);
    }
  });
});

describe('token-attention options in an experiment config', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('are validated against the schema, each problem named by its JSON path', () => {
    const lines = problems(() => new ConfigValidator(registry()).validate(experiment({ type: 'token-attention', heads: 0, residul: false, init: 'xavier' })));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fusions\[0\]\.heads: /),
        expect.stringMatching(/^fusions\[0\]\.residul: unknown key "residul"\. Did you mean "residual"\?/),
        expect.stringMatching(/^fusions\[0\]\.init: /),
      ]),
    );
    expect(lines).toHaveLength(3);
  });

  it('get their defaults from the schema, and the model builds with them', () => {
    const reg = registry();
    const config = new ConfigValidator(reg).validate(experiment({ type: 'token-attention', heads: 2 }));
    expect(config.fusions[0]).toEqual({ type: 'token-attention', ...TOKEN_ATTENTION_DEFAULTS, heads: 2 });
    const specs = [
      { name: 'camera', kind: 'vector' as const, shape: [3] },
      { name: 'joints', kind: 'vector' as const, shape: [5] },
    ];
    const model = buildModel(reg, config, config.fusions[0], 'fusions[0]', specs, 1);
    // D defaults to the wider latent (10), one 10-wide block per modality
    expect(model.fusion.outputSize).toBe(20);
    expect(model.fusion.getConfig()).toMatchObject({ type: 'token-attention', tokenSize: 10, heads: 2 });
    model.dispose();
  });

  it('name the fusion and explain the fix when heads do not divide tokenSize', () => {
    const reg = registry();
    const specs = [
      { name: 'camera', kind: 'vector' as const, shape: [3] },
      { name: 'joints', kind: 'vector' as const, shape: [5] },
    ];
    // passes the schema (each value is fine on its own) and fails when the widths are known
    const config = new ConfigValidator(reg).validate(experiment({ type: 'token-attention', heads: 4 }));
    expect(problems(() => buildModel(reg, config, config.fusions[0], 'fusions[0]', specs, 1))).toEqual([
      'fusions[0]: the token-attention fusion splits each 10-wide token (the largest latent width, the default) into heads of equal width, so tokenSize must be a multiple of heads (4); choose heads from 1, 2, 5, 10 or set tokenSize to a multiple of 4',
    ]);
    const explicit = new ConfigValidator(reg).validate(experiment({ type: 'token-attention', heads: 3, tokenSize: 8 }));
    expect(problems(() => buildModel(reg, explicit, explicit.fusions[0], 'fusions[0]', specs, 1))[0]).toMatch(/^fusions\[0\]: the token-attention fusion splits each 8-wide token into heads of equal width/);
  });
});

describe('fusion-token-attention plugin', () => {
  it('is found from its package folder and registers "token-attention" with its schema', () => {
    const container = new Container();
    container.load(coreModule);
    loadPlugins(container, ['.'], join(__dirname, '..'));
    const reg = container.get<ComponentRegistry>(ComponentRegistry);
    const registration = reg.get('fusion', 'token-attention');
    expect(registration.source).toBe('@mmfuse/fusion-token-attention');
    expect(registration.optionsSchema).toEqual(TOKEN_ATTENTION_SCHEMA);
    const fusion = reg.create('fusion', { type: 'token-attention', ...TOKEN_ATTENTION_DEFAULTS }, { name: 'fusion', modalities: [], inputSizes: [4, 8], seed: 0 });
    expect(fusion.outputSize).toBe(16);
    expect(fusion.getConfig()).toEqual({ type: 'token-attention', ...TOKEN_ATTENTION_DEFAULTS, tokenSize: 8 });
    fusion.dispose();
  });
});
