// Name patterns for sub-models and parameters, e.g. "encoder:*", "fusion/projection*/kernel",
// "**/kernel": `*` matches any run of characters except `/`, `**` any run including `/`, `?` one
// character except `/`; everything else matches itself. A list matches when any pattern does.
export type NamePattern = string | readonly string[];

export function compileNamePattern(pattern: NamePattern): (name: string) => boolean {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  const expressions = patterns.map(globToRegExp);
  return (name) => expressions.some((e) => e.test(name));
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (ch === '*') {
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** JSON Schema of a pattern option: one pattern or a list of them. */
export function namePatternSchema(defaultValue: NamePattern, description: string): Record<string, unknown> {
  return {
    type: ['string', 'array'],
    minLength: 1,
    items: { type: 'string', minLength: 1 },
    minItems: 1,
    default: defaultValue,
    description: `${description} A pattern or a list of patterns (any may match): * matches within one path segment, ** across segments, ? one character.`,
  };
}
