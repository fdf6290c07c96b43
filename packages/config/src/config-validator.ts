import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import type { ComponentKind, ComponentRegistration, ComponentRegistry, ModalitySpec } from '@mmfuse/core';
import { didYouMean, isUserInputError, UserInputError } from '@mmfuse/core';
import { ExperimentConfig, setupLabel } from './experiment-config';
import { experimentSkeleton, FUSION_LABEL } from './experiment-schema';
import { describeValue, formatAjvErrors, joinPath } from './format-errors';
import { expandSweep, SweepPoint } from './sweep';

const SLOT: Record<string, unknown> = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', minLength: 1, description: 'Registered type name.' } },
};

/** Keys of a slot that belong to the experiment, not to the component's options. */
const SLOT_KEYS: Partial<Record<ComponentKind, string[]>> = { fusion: ['label', 'regularizers'] };

function newAjv(): Ajv2020 {
  // Defaults fill in options; strict schema checking keeps plugin schemas honest.
  return new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
}

/**
 * Compiled schemas, shared by every validator of the process and keyed by their content: compiling
 * the skeleton and each component's options took most of a `validate` (about 50 ms), and the same
 * schemas come back for every config. A schema with an `$id` gets an Ajv of its own, since one
 * Ajv refuses two different schemas under one id.
 */
const sharedAjv = newAjv();
const compiled = new Map<string, ValidateFunction>();

function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  if ('$id' in schema) return newAjv().compile(schema);
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = sharedAjv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Validates an experiment config against the experiment's own schema and then each component's
 * options against the schema its registration contributes (so third-party plugin options are
 * checked by their own schemas), applies defaults, and checks what spans components (modality
 * names, unique labels). All problems are reported together, one line each.
 */
export class ConfigValidator {
  private readonly skeleton: ValidateFunction;
  private readonly optionValidators = new Map<ComponentRegistration, ValidateFunction>();

  constructor(private readonly registry: ComponentRegistry) {
    this.skeleton = compileSchema(experimentSkeleton(() => SLOT));
  }

  /** The validated config with defaults, or a UserInputError listing every problem. */
  validate(raw: unknown): ExperimentConfig {
    const config = clone(raw) as Record<string, unknown>;
    const problems: string[] = [];
    if (!this.skeleton(config)) problems.push(...formatAjvErrors(this.skeleton.errors ?? []));

    const slot = (kind: ComponentKind, value: unknown, path: string): ComponentRegistration | undefined => {
      if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return undefined;
      return this.checkComponent(kind, value as Record<string, unknown>, path, problems);
    };

    const dataRegistration = slot('data', config.data, 'data');
    const modalities = Array.isArray(config.modalities) ? (config.modalities as Array<Record<string, unknown>>) : [];
    modalities.forEach((m, i) => {
      if (typeof m !== 'object' || m === null) return;
      slot('encoder', m.encoder, `modalities[${i}].encoder`);
      slot('decoder', m.decoder, `modalities[${i}].decoder`);
    });
    const fusions = Array.isArray(config.fusions) ? (config.fusions as Array<Record<string, unknown>>) : [];
    fusions.forEach((f, i) => {
      slot('fusion', f, `fusions[${i}]`);
      if (typeof f !== 'object' || f === null || f.regularizers === undefined) return;
      if (!Array.isArray(f.regularizers)) {
        problems.push(`fusions[${i}].regularizers: expected an array of regularizers, got ${describeValue(f.regularizers)}`);
        return;
      }
      (f.regularizers as unknown[]).forEach((r, j) => {
        if (typeof r !== 'object' || r === null || typeof (r as { type?: unknown }).type !== 'string') {
          problems.push(`fusions[${i}].regularizers[${j}]: expected a regularizer object with a "type", got ${describeValue(r)}`);
          return;
        }
        slot('regularizer', r, `fusions[${i}].regularizers[${j}]`);
      });
    });
    for (const kind of ['regularizer', 'callback'] as const) {
      const key = `${kind}s`;
      if (Array.isArray(config[key])) (config[key] as unknown[]).forEach((c, i) => slot(kind, c, `${key}[${i}]`));
    }

    if (problems.length === 0) this.checkAcross(config as unknown as ExperimentConfig, dataRegistration, problems);
    if (problems.length === 0 && config.sweep !== undefined) this.checkSweep(config, problems);
    if (problems.length > 0) throw new UserInputError(problems);
    return config as unknown as ExperimentConfig;
  }

  /** Each point of a sweep (expanded from the config with its defaults) must itself be a valid experiment; its problems name the point and its values. */
  private checkSweep(config: Record<string, unknown>, problems: string[]): void {
    const sweep = config.sweep as { grid?: unknown; points?: unknown };
    if ((sweep.grid === undefined) === (sweep.points === undefined)) {
      problems.push('sweep: give either "grid" (every combination of values) or "points" (a list), not both and not neither');
      return;
    }
    let points: SweepPoint[];
    try {
      points = expandSweep(config);
    } catch (error) {
      problems.push((error as Error).message);
      return;
    }
    // Points that share a failure would repeat it; the first few show what is wrong.
    const reported = new Set<string>();
    for (const point of points) {
      try {
        this.validate(point.config);
      } catch (error) {
        for (const line of isUserInputError(error) ? error.lines : [(error as Error).message]) {
          if (reported.has(line) || reported.size >= 8) continue;
          reported.add(line);
          problems.push(`sweep point ${point.index} (${Object.entries(point.assignments).map(([p, v]) => `${p} = ${JSON.stringify(v)}`).join(', ')}): ${line}`);
        }
      }
    }
  }

  /** The modalities a validated config's data source declares, when it declares them. */
  declaredModalities(config: ExperimentConfig): ModalitySpec[] | undefined {
    const registration = this.registry.get('data', config.data.type);
    if (!registration.modalities) return undefined;
    const { type: _type, ...options } = config.data;
    return registration.modalities(options);
  }

  private checkComponent(kind: ComponentKind, value: Record<string, unknown>, path: string, problems: string[]): ComponentRegistration | undefined {
    const type = value.type as string;
    if (!this.registry.has(kind, type)) {
      const names = this.registry.list(kind).map((r) => r.type);
      problems.push(
        `${path}.type: "${type}" is not a registered ${kind} type.${didYouMean(type, names)} Registered: ${names.join(', ') || 'none'}. A third-party ${kind} is loaded by listing its package in "plugins".`,
      );
      return undefined;
    }
    const registration = this.registry.get(kind, type);
    const options: Record<string, unknown> = {};
    for (const [key, option] of Object.entries(value)) {
      if (key !== 'type' && !(SLOT_KEYS[kind] ?? []).includes(key)) options[key] = option;
    }
    let validate = this.optionValidators.get(registration);
    if (!validate) {
      try {
        const { $schema: _dialect, ...schema } = registration.optionsSchema;
        validate = compileSchema(schema);
      } catch (error) {
        problems.push(`${path}.type: the options schema of ${kind} "${type}"${registration.source ? ` (from ${registration.source})` : ''} is not a valid JSON Schema: ${(error as Error).message}`);
        return undefined;
      }
      this.optionValidators.set(registration, validate);
    }
    if (!validate(options)) {
      // Mention the slot's own keys among the allowed ones: they are valid here too.
      const errors = (validate.errors ?? []).map((e) =>
        e.keyword === 'additionalProperties' && e.instancePath === ''
          ? { ...e, parentSchema: { properties: { type: {}, ...Object.fromEntries((SLOT_KEYS[kind] ?? []).map((k) => [k, {}])), ...((e.parentSchema as { properties?: object })?.properties ?? {}) } } }
          : e,
      );
      problems.push(...formatAjvErrors(errors, path));
    }
    if (kind === 'fusion' && value.label !== undefined) {
      const label = value.label;
      const pattern = new RegExp(FUSION_LABEL.pattern as string);
      if (typeof label !== 'string' || !pattern.test(label)) {
        problems.push(`${path}.label: expected a name of letters, digits and . _ + -, got ${describeValue(label)}`);
      }
    }
    // Write defaults back, keeping the slot's own keys.
    for (const key of Object.keys(value)) if (key !== 'type' && !(SLOT_KEYS[kind] ?? []).includes(key)) delete value[key];
    Object.assign(value, options);
    return registration;
  }

  private checkAcross(config: ExperimentConfig, data: ComponentRegistration | undefined, problems: string[]): void {
    const names = config.modalities.map((m) => m.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) problems.push(`modalities[${i}].name: "${name}" is listed twice; each modality appears once`);
    });
    let provided: string[] | undefined;
    if (data?.modalities) {
      const { type: _type, ...options } = config.data;
      try {
        provided = data.modalities(options).map((m) => m.name);
      } catch (error) {
        problems.push(`data: ${(error as Error).message}`);
      }
    }
    if (provided) {
      names.forEach((name, i) => {
        if (!provided!.includes(name)) {
          problems.push(`modalities[${i}].name: data source "${config.data.type}" provides no modality "${name}".${didYouMean(name, provided!)} It provides: ${provided!.join(', ')}`);
        }
      });
    }
    const labels = config.fusions.map(setupLabel);
    labels.forEach((label, i) => {
      if (labels.indexOf(label) !== i) {
        problems.push(`${joinPath(`fusions[${i}]`, 'label')}: set-up "${label}" appears twice; give each fusion a unique "label"`);
      }
    });
    config.training.corruption.forEach((c, i) => {
      if (!names.includes(c.modality)) {
        problems.push(`training.corruption[${i}].modality: "${c.modality}" is not one of the config's modalities.${didYouMean(c.modality, names)} Modalities: ${names.join(', ')}`);
      }
    });
  }
}
