import { COMPONENT_KINDS, ComponentKind, ComponentRegistry, UserInputError } from '@mmfuse/core';
import { createContainer } from '../load-experiment';

function describeOptions(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, { description?: string; default?: unknown }>;
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties).map(([name, p]) => {
    const note = required.includes(name) ? 'required' : p.default !== undefined ? `default ${JSON.stringify(p.default)}` : 'optional';
    return `      ${name} (${note}): ${p.description ?? ''}`;
  });
}

/** `mmfuse list [kind]`: registered component types and their options. */
export function listCommand(kind: string | undefined, options: { json?: boolean; plugin?: string[] }): void {
  if (kind !== undefined && !COMPONENT_KINDS.includes(kind as ComponentKind)) {
    throw new UserInputError(`list: unknown kind "${kind}"; expected one of ${COMPONENT_KINDS.join(', ')}`);
  }
  const registry = createContainer(options.plugin ?? []).container.get<ComponentRegistry>(ComponentRegistry);
  const registrations = registry.list(kind as ComponentKind | undefined);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(registrations.map((r) => ({ kind: r.kind, type: r.type, description: r.description, source: r.source, options: r.optionsSchema })), null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const k of COMPONENT_KINDS) {
    const ofKind = registrations.filter((r) => r.kind === k);
    if (ofKind.length === 0) continue;
    lines.push(`${k}:`);
    for (const r of ofKind) {
      lines.push(`  ${r.type} — ${r.description}${r.source ? ` [${r.source}]` : ''}`);
      lines.push(...describeOptions(r.optionsSchema));
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
