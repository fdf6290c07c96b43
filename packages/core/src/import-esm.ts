import { createRequire } from 'module';
import { pathToFileURL } from 'url';

/**
 * `import()` of an ES-module-only package from this CommonJS build, where TypeScript would turn a
 * literal `import()` into `require()`. `from` (the caller's `__filename`) resolves the package the
 * way the caller's own `require` would, so a package installed beside the caller is found even when
 * it is not hoisted; packages that export only an `import` condition fall back to the bare name.
 *
 * The function is compiled from source, each time with its own text: V8 reuses a cached compilation
 * of identical source together with the module context it was first compiled in (a test runner's
 * finished context, for instance), and a counter would restart with every fresh module registry.
 */
export function importEsm<T>(specifier: string, from?: string): Promise<T> {
  let target = specifier;
  if (from) {
    try {
      target = pathToFileURL(createRequire(from).resolve(specifier)).href;
    } catch {
      // No CommonJS-visible entry: let the ES module resolver find it.
    }
  }
  const load = new Function('specifier', `return import(specifier); // ${process.hrtime.bigint()} ${Math.random()}`) as (specifier: string) => Promise<T>;
  return load(target);
}
