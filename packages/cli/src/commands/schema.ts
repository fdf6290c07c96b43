import { ComponentRegistry, writeFileAtomic } from '@mmfuse/core';
import { experimentSchema } from '@mmfuse/config';
import { createContainer } from '../load-experiment';

/** `mmfuse schema`: the experiment JSON Schema of the registered components. */
export function schemaCommand(options: { out?: string; plugin?: string[] }): void {
  const registry = createContainer(options.plugin ?? []).container.get<ComponentRegistry>(ComponentRegistry);
  const text = `${JSON.stringify(experimentSchema(registry), null, 2)}\n`;
  if (options.out) writeFileAtomic(options.out, text);
  else process.stdout.write(text);
}
