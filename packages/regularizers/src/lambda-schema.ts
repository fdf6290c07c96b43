/** JSON Schema of a penalty weight λ: any non-negative value over many orders of magnitude. */
export function lambdaSchema(defaultValue: number, description: string): Record<string, unknown> {
  return {
    type: 'number',
    minimum: 0,
    maximum: 1e6,
    default: defaultValue,
    description: `${description} Any value in [0, 1e6], so λ can be swept over many orders of magnitude (the paper sweeps nine); 0 switches the term off.`,
  };
}
