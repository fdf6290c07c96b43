import type { ErrorObject } from 'ajv';
import { didYouMean } from '@mmfuse/core';

/** `/modalities/0/encoder` → `modalities[0].encoder`; keys that are not identifiers are quoted. */
export function jsonPath(pointer: string, prefix = ''): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = prefix;
  for (const part of parts) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) path += path ? `.${part}` : part;
    else path += `[${JSON.stringify(part)}]`;
  }
  return path || '(root)';
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`;
}

/** A short, safe rendering of a value for an error line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

function propertiesOf(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function descriptionOf(schema: unknown, key: string): string {
  const property = (schema as { properties?: Record<string, { description?: string }> } | undefined)?.properties?.[key];
  return property?.description ? ` (${property.description.replace(/\.$/, '')})` : '';
}

function formatOne(error: ErrorObject, prefix: string): string {
  const at = jsonPath(error.instancePath, prefix);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = propertiesOf(error.parentSchema);
      return `${joinPath(at === '(root)' ? '' : at, key)}: unknown key "${key}".${didYouMean(key, allowed)} Allowed here: ${allowed.join(', ') || 'none'}`;
    }
    case 'required': {
      const key = String(params.missingProperty);
      return `${joinPath(at === '(root)' ? '' : at, key)}: required key "${key}" is missing${descriptionOf(error.parentSchema, key)}`;
    }
    case 'type':
      return `${at}: expected ${String(params.type).replace(',', ' or ')}, got ${describeValue(error.data)}`;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof error.data === 'string' ? didYouMean(error.data, params.allowedValues as string[]) : '';
      return `${at}: expected one of ${allowed.join(', ')}, got ${describeValue(error.data)}.${hint}`.replace(/\.$/, '');
    }
    case 'const':
      return `${at}: expected ${JSON.stringify(params.allowedValue)}, got ${describeValue(error.data)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${at}: expected a number ${params.comparison} ${params.limit}, got ${describeValue(error.data)}`;
    case 'minItems':
      return `${at}: expected at least ${params.limit} item${params.limit === 1 ? '' : 's'}, got ${describeValue(error.data)}`;
    case 'maxItems':
      return `${at}: expected at most ${params.limit} items, got ${describeValue(error.data)}`;
    case 'minLength':
      return `${at}: expected a string of at least ${params.limit} character${params.limit === 1 ? '' : 's'}, got ${describeValue(error.data)}`;
    case 'maxLength':
      return `${at}: expected a string of at most ${params.limit} characters, got ${describeValue(error.data)}`;
    case 'pattern':
      return `${at}: ${describeValue(error.data)} does not match the pattern ${params.pattern}`;
    case 'uniqueItems':
      return `${at}: items ${params.j} and ${params.i} are the same; each must appear once`;
    case 'alternatives':
      return `${at}: ${error.message}`;
    default:
      return `${at}: ${error.message ?? 'is not valid'}${error.data !== undefined ? `, got ${describeValue(error.data)}` : ''}`;
  }
}

const UMBRELLA_KEYWORDS = new Set(['oneOf', 'anyOf', 'if', 'not', 'discriminator']);

/** What one failed alternative of an anyOf/oneOf expected, in words. */
function alternative(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'type') return String(params.type);
  if (error.keyword === 'enum') return (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(' or ');
  if (error.keyword === 'const') return JSON.stringify(params.allowedValue);
  return error.message ?? error.keyword;
}

/**
 * Folds the errors of an anyOf/oneOf into one line: when some alternative got past the type
 * check and failed deeper, only those deeper errors are kept (that was the alternative meant);
 * otherwise one line lists what each alternative expected.
 */
function foldAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const result = [...errors];
  for (const umbrella of errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
    const branch = result.filter((e) => e !== umbrella && e.schemaPath.startsWith(`${umbrella.schemaPath}/`));
    if (branch.length === 0) continue;
    const deeper = branch.filter((e) => e.instancePath !== umbrella.instancePath || !['type', 'enum', 'const'].includes(e.keyword));
    const drop = new Set(deeper.length > 0 ? branch.filter((e) => !deeper.includes(e)) : branch);
    drop.add(umbrella);
    if (deeper.length === 0) {
      const description = (umbrella.parentSchema as { description?: string } | undefined)?.description;
      const alternatives = [...new Set(branch.map(alternative))];
      const folded: ErrorObject = {
        ...umbrella,
        keyword: 'alternatives',
        message: `expected ${alternatives.join(' or ')}, got ${describeValue(umbrella.data)}${description ? ` (${description.replace(/\.$/, '')})` : ''}`,
      };
      result.splice(result.indexOf(umbrella), 1, folded);
      drop.delete(umbrella);
    }
    for (const e of drop) result.splice(result.indexOf(e), 1);
  }
  return result;
}

/**
 * One line per problem, the most specific error per place: alternatives are folded, and errors
 * of combinators are dropped when a more specific error was found at or below the same place.
 */
export function formatAjvErrors(errors: readonly ErrorObject[], prefix = ''): string[] {
  const folded = foldAlternatives(errors);
  const specific = folded.filter((e) => !UMBRELLA_KEYWORDS.has(e.keyword));
  const kept = folded.filter((e) => !UMBRELLA_KEYWORDS.has(e.keyword) || !specific.some((s) => s.instancePath.startsWith(e.instancePath)));
  return [...new Set(kept.map((e) => formatOne(e, prefix)))];
}
