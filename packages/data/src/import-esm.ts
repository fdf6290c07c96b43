let compiled = 0;

/**
 * `import()` of an ES-module-only package from this CommonJS build, where TypeScript would turn a
 * literal `import()` into `require()`. The function is compiled from source; each compilation gets
 * its own text, because V8 reuses a cached compilation of identical source together with the
 * module context it was first compiled in (a test runner's torn-down context, for instance).
 */
export function importEsm<T>(specifier: string): Promise<T> {
  const load = new Function('specifier', `return import(specifier); // ${++compiled}`) as (specifier: string) => Promise<T>;
  return load(specifier);
}
