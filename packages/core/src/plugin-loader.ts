import { existsSync, readFileSync, statSync } from 'fs';
import { dirname, isAbsolute, join, resolve } from 'path';
import { ContainerModule, injectable, interfaces } from 'inversify';
import { ComponentContribution } from './components';
import { UserInputError } from './errors';

/** A plugin that was loaded into the container. */
export interface LoadedPlugin {
  /** The package name (or the path, for a folder without a name). */
  readonly name: string;
  readonly version: string;
  readonly directory: string;
}

export const LoadedPlugins = Symbol('LoadedPlugins');
/** Which plugins are loaded, and which plugin each component contribution came from. */
export interface LoadedPlugins {
  list(): LoadedPlugin[];
  sourceOf(contribution: object): string | undefined;
}

@injectable()
export class LoadedPluginsImpl implements LoadedPlugins {
  private readonly plugins: LoadedPlugin[] = [];
  private readonly sources = new Map<NewableFunction, string>();

  add(plugin: LoadedPlugin, contributionClasses: NewableFunction[]): void {
    this.plugins.push(plugin);
    for (const cls of contributionClasses) if (!this.sources.has(cls)) this.sources.set(cls, plugin.name);
  }

  list(): LoadedPlugin[] {
    return [...this.plugins];
  }

  sourceOf(contribution: object): string | undefined {
    return this.sources.get(contribution.constructor as NewableFunction);
  }
}

/**
 * Where a plugin lives: `spec` is a package name, resolved from `baseDir` (then from mmfuse's own
 * install), or a path relative to `baseDir`. The folder's package.json names the module file in
 * `"mmfuse": { "module": "./dist/x-module.js" }`.
 */
export function resolvePlugin(spec: string, baseDir: string, where: string, searchPaths: readonly string[] = []): { directory: string; name: string; version: string; modulePath: string } {
  let directory: string | undefined;
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const candidate = resolve(baseDir, spec);
    if (existsSync(candidate) && statSync(candidate).isDirectory()) directory = candidate;
    if (!directory) throw new UserInputError(`${where}: plugin folder "${spec}" does not exist (resolved to ${candidate})`);
  } else {
    for (const from of [baseDir, ...searchPaths, process.cwd(), __dirname]) {
      try {
        directory = dirname(require.resolve(`${spec}/package.json`, { paths: [from] }));
        break;
      } catch {
        // try the next place
      }
    }
    if (!directory) {
      throw new UserInputError(`${where}: plugin package "${spec}" is not installed (looked from ${baseDir}); install it with "npm install ${spec}" or give a relative path`);
    }
  }
  const manifestPath = join(directory, 'package.json');
  if (!existsSync(manifestPath)) throw new UserInputError(`${where}: plugin "${spec}" has no package.json in ${directory}`);
  let manifest: { name?: string; version?: string; mmfuse?: { module?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new UserInputError(`${where}: ${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const entry = manifest.mmfuse?.module;
  if (typeof entry !== 'string') {
    throw new UserInputError(`${where}: "${spec}" is not an mmfuse plugin: ${manifestPath} has no "mmfuse": { "module": "<file>" } entry`);
  }
  const modulePath = resolve(directory, entry);
  if (!existsSync(modulePath)) throw new UserInputError(`${where}: plugin "${spec}" names module ${entry}, but ${modulePath} does not exist (is the plugin built?)`);
  return { directory, name: manifest.name ?? spec, version: manifest.version ?? '0.0.0', modulePath };
}

function isContainerModule(value: unknown): value is ContainerModule {
  return typeof value === 'object' && value !== null && typeof (value as ContainerModule).registry === 'function' && typeof (value as ContainerModule).id === 'number';
}

/**
 * Loads each listed plugin's ContainerModule into `container`, in order. Only listed plugins are
 * loaded; each failure names the plugin and where it was listed.
 */
export function loadPlugins(container: interfaces.Container, specs: readonly string[], baseDir: string, pathPrefix = 'plugins', searchPaths: readonly string[] = []): LoadedPlugin[] {
  if (!container.isBound(LoadedPlugins)) {
    container.bind(LoadedPluginsImpl).toSelf().inSingletonScope();
    container.bind(LoadedPlugins).toService(LoadedPluginsImpl);
  }
  const registry = container.get(LoadedPluginsImpl);
  const seen = new Set(registry.list().map((p) => p.directory));
  const loaded: LoadedPlugin[] = [];
  specs.forEach((spec, index) => {
    const where = `${pathPrefix}[${index}]`;
    const found = resolvePlugin(spec, baseDir, where, searchPaths);
    if (seen.has(found.directory)) return;
    seen.add(found.directory);
    let exported: unknown;
    try {
      const required = require(found.modulePath);
      exported = required?.default ?? required?.module ?? required;
    } catch (error) {
      // Node appends a "Require stack:" list to a missing module's message: the first line says it all.
      const reason = String((error as Error)?.message ?? error).split('\n')[0];
      throw new UserInputError(`${where}: plugin "${found.name}" failed while loading ${found.modulePath}: ${reason}`);
    }
    if (!isContainerModule(exported)) {
      throw new UserInputError(`${where}: plugin "${found.name}" does not export an inversify ContainerModule from ${found.modulePath} (default export expected)`);
    }
    const before = contributionClasses(container);
    let added: NewableFunction[];
    try {
      container.load(exported);
      added = contributionClasses(container).filter((cls) => !before.includes(cls));
    } catch (error) {
      throw new UserInputError(`${where}: plugin "${found.name}" failed while binding its services: ${(error as Error).message}`);
    }
    const plugin: LoadedPlugin = { name: found.name, version: found.version, directory: found.directory };
    registry.add(plugin, added);
    loaded.push(plugin);
  });
  return loaded;
}

function contributionClasses(container: interfaces.Container): NewableFunction[] {
  if (!container.isBound(ComponentContribution)) return [];
  return container.getAll<object>(ComponentContribution).map((c) => c.constructor as NewableFunction);
}
