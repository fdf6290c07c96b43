import type { ComponentKind, ComponentRegistration, ComponentRegistry, JsonSchema } from '@mmfuse/core';

export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Where each component kind sits in an experiment config (used for `$defs` names). */
const SLOT_DEFS: Record<ComponentKind, string> = {
  data: 'dataSource',
  encoder: 'encoder',
  decoder: 'decoder',
  fusion: 'fusion',
  regularizer: 'regularizer',
  callback: 'callback',
};

const FUSION_LABEL: JsonSchema = {
  type: 'string',
  minLength: 1,
  pattern: '^[A-Za-z0-9._+-]+$',
  description: 'Name of this set-up in metrics, tables and figures; defaults to the type (must be unique).',
};

const MEAN_STD: JsonSchema = {
  type: 'array',
  items: { type: 'number', minimum: 0, maximum: 1e12 },
  minItems: 2,
  maxItems: 2,
  description: '[mean, standard deviation]',
};

/** Published values to set a run's results beside, by split, set-up label and loss (a modality or total). */
const REFERENCE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'losses'],
  description: 'Published results this experiment reproduces; the report shows the run\'s final losses beside them, in the same layout.',
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 400, description: 'Where the values come from, e.g. "Table 1 of the paper".' },
    trials: { type: 'integer', minimum: 1, maximum: 100000, description: 'Trials behind each published mean ± std.' },
    losses: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'Published final losses by split (train, test).',
      properties: Object.fromEntries(
        ['train', 'test'].map((split) => [
          split,
          {
            type: 'object',
            maxProperties: 64,
            description: `Final ${split} MSE per set-up label, then per loss (a modality name or total).`,
            additionalProperties: { type: 'object', maxProperties: 64, additionalProperties: MEAN_STD },
          },
        ]),
      ),
    },
  },
};

/**
 * The experiment's own keys. Component slots accept any object with a `type` here; their options
 * are checked afterwards against the chosen type's own schema (see ConfigValidator).
 */
// eslint-disable-next-line max-lines-per-function -- a JSON Schema literal: one object, read top to bottom
export function experimentSkeleton(slot: (kind: ComponentKind) => JsonSchema): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'data', 'modalities', 'fusions'],
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
      name: {
        type: 'string',
        minLength: 1,
        maxLength: 80,
        pattern: '^[A-Za-z0-9._-]+$',
        description: 'Name of the experiment; the run folder is runs/<name>-<timestamp>.',
      },
      description: { type: 'string', description: 'Free text shown in the report.' },
      reference: REFERENCE_SCHEMA,
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Base seed; every trial, data split and weight initialisation derives its seed from it.' },
      backend: {
        type: 'string',
        pattern: '^[a-z][a-z0-9-]*$',
        default: 'auto',
        examples: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
        description:
          'TensorFlow.js backend: auto takes native TensorFlow if it loads, else WebGPU on a hardware adapter, else WebAssembly, else pure JavaScript; or name one of those, or a backend a plugin registers (webgpu named also runs on a software adapter).',
      },
      plugins: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        uniqueItems: true,
        default: [],
        description: 'Packages (npm names) or folders (relative to this file) of third-party plugins to load.',
      },
      data: { ...slot('data'), description: 'The data source: its registered type and options.' },
      modalities: {
        type: 'array',
        minItems: 1,
        maxItems: 16,
        description: 'One entry per modality used, in fusion order.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'encoder', 'decoder'],
          properties: {
            name: { type: 'string', minLength: 1, description: 'A modality the data source provides.' },
            encoder: { ...slot('encoder'), description: 'Encoder of this modality.' },
            decoder: { ...slot('decoder'), description: 'Decoder of this modality (reads the fused representation).' },
            lossWeight: { type: 'number', exclusiveMinimum: 0, maximum: 1e6, default: 1, description: 'Weight of this modality\'s MSE in the loss.' },
          },
        },
      },
      fusions: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        description: 'Fusions to compare; each is trained for every trial on the same data and seeds.',
        items: slot('fusion'),
      },
      regularizers: { type: 'array', items: slot('regularizer'), maxItems: 64, default: [], description: 'Extra loss terms.' },
      callbacks: { type: 'array', items: slot('callback'), maxItems: 64, default: [], description: 'Training hooks (trackers, writers).' },
      training: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'Optimisation and trials.',
        properties: {
          epochs: { type: 'integer', minimum: 1, maximum: 100000, default: 20, description: 'Passes over the training split.' },
          batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 32, description: 'Samples per Adam step.' },
          microBatch: {
            anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: 65536 }],
            default: 'auto',
            description: 'Samples computed at once within a batch, their gradients accumulated into the same update as the whole batch; auto: the largest that fits the backend\'s memory (WebAssembly\'s 4 GiB heap, memoryBudgetMB, a GPU\'s largest buffer), measured before training and stated when it splits.',
          },
          memoryBudgetMB: { type: 'number', minimum: 16, maximum: 16777216, description: 'Memory one training step may use, in MB, for the automatic micro-batch (a GPU reports no memory size through WebGPU).' },
          learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.001, description: 'Adam learning rate.' },
          trials: { type: 'integer', minimum: 1, maximum: 1000, default: 3, description: 'Independent trials per fusion (derived seeds).' },
          corruption: {
            type: 'array',
            default: [],
            maxItems: 64,
            description: 'Input corruptions for denoising training; targets stay clean.',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['modality', 'kind'],
              properties: {
                modality: { type: 'string', minLength: 1, description: 'Modality whose input is corrupted.' },
                kind: {
                  enum: ['gaussian', 'dropout', 'blank', 'failures'],
                  description:
                    'gaussian: add N(0, level²); dropout: zero a share `level` of values; blank: zero the whole sample; failures: the reference protocol, one failure drawn per sample from `failures` (image failures on images, series failures on series) at severity `level`.',
                },
                level: { type: 'number', minimum: 0, maximum: 1000, default: 0.1, description: 'Noise std (gaussian), share of values zeroed (dropout) or failure severity in [0, 1] (failures).' },
                failures: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { type: 'string', minLength: 1 },
                  description: 'Failure types to draw from (kind "failures"; default: every failure for the modality\'s kind). `mmfuse list` shows the data package\'s failures in its README.',
                },
                probability: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Probability that a sample is corrupted.' },
              },
            },
          },
          corruptTest: { type: 'boolean', default: false, description: 'Also corrupt test inputs (with a fixed seed) when measuring test loss.' },
          checkpointEvery: {
            type: 'integer',
            minimum: 1,
            maximum: 100000,
            default: 1,
            description: 'Save each trial\'s model and optimiser state every N epochs (and after the last), so `mmfuse run --resume <run folder>` continues an interrupted run.',
          },
          workers: {
            default: 'auto',
            description:
              'Data-parallel training: each of N threads computes the gradient of 1/N of every batch on its own backend and the gradients are summed (results equal up to float summation order). auto = one per CPU core on the single-threaded wasm and cpu backends, 1 on native TensorFlow.',
            anyOf: [
              { type: 'integer', minimum: 1, maximum: 64 },
              { const: 'auto' },
            ],
          },
          processes: {
            default: 1,
            description:
              'Trials (set-up × trial) run in this many worker processes at once, each writing into the same run folder; auto = one per CPU core, each trial then on one thread unless "workers" says otherwise. 1 runs them one after another in this process, with "workers" threads each.',
            anyOf: [
              { type: 'integer', minimum: 1, maximum: 256 },
              { const: 'auto' },
            ],
          },
        },
      },
      sweep: {
        type: 'object',
        additionalProperties: false,
        description:
          'Runs the experiment once per point, each in its own run folder under one sweep folder: "grid" sets every combination of the listed values, "points" lists the points. Keys are JSON paths into this config, e.g. "regularizers[0].lambda" or "training.learningRate".',
        properties: {
          grid: {
            type: 'object',
            minProperties: 1,
            maxProperties: 16,
            additionalProperties: { type: 'array', minItems: 1, maxItems: 10000 },
            description: 'Path → the values it takes; the points are every combination.',
          },
          points: {
            type: 'array',
            minItems: 1,
            maxItems: 10000,
            items: { type: 'object', minProperties: 1, maxProperties: 16 },
            description: 'The points, each an object of path → value.',
          },
          workers: {
            anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: 256 }],
            default: 'auto',
            description: 'Worker processes running points at once; auto = one per CPU core (each point then trains on the remaining threads).',
          },
        },
      },
      output: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'Where results go.',
        properties: {
          dir: { type: 'string', minLength: 1, default: 'runs', description: 'Folder for run folders, relative to the working directory.' },
        },
      },
    },
  };
}

/** A branch of a component slot: `type` fixed to one registered name, plus that type's options. */
function componentBranch(registration: ComponentRegistration, extraProperties: JsonSchema = {}): JsonSchema {
  const options = registration.optionsSchema as { properties?: JsonSchema; required?: string[] };
  return {
    type: 'object',
    description: registration.description,
    additionalProperties: false,
    required: ['type', ...(options.required ?? [])],
    properties: {
      type: { const: registration.type, description: `${registration.description}${registration.source ? ` (from ${registration.source})` : ''}` },
      ...extraProperties,
      ...(options.properties ?? {}),
    },
  };
}

/**
 * The complete JSON Schema of an experiment config for the registered components, as written to
 * configs/schema.json: each component slot is a `oneOf` over registered types, discriminated by
 * `type`, so editors complete option names per type.
 */
export function experimentSchema(registry: ComponentRegistry): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const kind of Object.keys(SLOT_DEFS) as ComponentKind[]) {
    const registrations = registry.list(kind);
    const extra =
      kind === 'fusion'
        ? {
            label: FUSION_LABEL,
            regularizers: { type: 'array', items: { $ref: `#/$defs/${SLOT_DEFS.regularizer}` }, maxItems: 64, description: 'Regularizers of this set-up only (added to the top-level ones).' },
          }
        : {};
    defs[SLOT_DEFS[kind]] =
      registrations.length === 0
        ? { not: {}, description: `No ${kind} type is registered.` }
        : {
            type: 'object',
            required: ['type'],
            properties: { type: { type: 'string', description: `Registered ${kind} type.` } },
            discriminator: { propertyName: 'type' },
            oneOf: registrations.map((r) => componentBranch(r, extra)),
          };
  }
  const skeleton = experimentSkeleton((kind) => ({ $ref: `#/$defs/${SLOT_DEFS[kind]}` }));
  return {
    $schema: SCHEMA_DIALECT,
    $id: 'https://mmfuse.dev/schemas/experiment.json',
    title: 'mmfuse experiment',
    description: 'An mmfuse experiment: data, per-modality encoders and decoders, fusions to compare, training and trials.',
    ...skeleton,
    $defs: defs,
  };
}

export { FUSION_LABEL };
