import 'reflect-metadata';
import { dirname, resolve } from 'path';
import { Container } from 'inversify';
import { ComponentRegistry, coreModule, LoadedPlugin, loadPlugins, UserInputError } from '@mmfuse/core';
import { ConfigValidator, ExperimentConfig, readConfigFile } from '@mmfuse/config';
import { trainerModule } from '@mmfuse/trainer';

/** Packages mmfuse loads for every config, exactly as it loads a config's own plugins. */
export const BUILTIN_PLUGINS = ['@mmfuse/encoders', '@mmfuse/data', '@mmfuse/data-files', '@mmfuse/data-mujoco', '@mmfuse/data-robomnist', '@mmfuse/fusion-sum', '@mmfuse/fusion-concat', '@mmfuse/fusion-attention', '@mmfuse/fusion-feature-gate', '@mmfuse/fusion-token-attention', '@mmfuse/regularizers', '@mmfuse/lipschitz', '@mmfuse/analysis'] as const;

export interface LoadedExperiment {
  file: string;
  container: Container;
  registry: ComponentRegistry;
  validator: ConfigValidator;
  config: ExperimentConfig;
  plugins: LoadedPlugin[];
  /** Folder the config's relative paths are resolved against. */
  baseDir: string;
}

/** A container with the core services, the trainer and the built-in plugins (plus `extra` plugins). */
export function createContainer(extra: readonly string[] = [], baseDir = process.cwd()): { container: Container; plugins: LoadedPlugin[] } {
  const container = new Container();
  container.load(coreModule, trainerModule);
  const plugins = loadPlugins(container, BUILTIN_PLUGINS, __dirname, 'built-in plugins', [__dirname]);
  plugins.push(...loadPlugins(container, extra, baseDir, 'plugins', [__dirname]));
  return { container, plugins };
}

/** The plugins a config listed (built-ins left out). */
export function configPlugins(plugins: readonly LoadedPlugin[]): LoadedPlugin[] {
  return plugins.filter((p) => !(BUILTIN_PLUGINS as readonly string[]).includes(p.name));
}

/**
 * One line per plugin a config made mmfuse load: plugins are code, run with the user's rights,
 * and the user is told which ran and from where.
 */
export function announcePlugins(plugins: readonly LoadedPlugin[], write: (line: string) => void): void {
  for (const p of configPlugins(plugins)) write(`plugin: ${p.name} ${p.version} from ${p.directory} (listed in the config; plugins are code and run with your rights)\n`);
}

/** Rethrows a UserInputError with every line starting with the config file; other errors as they are. */
export function rethrowInConfigFile(file: string, error: unknown): never {
  if (error instanceof UserInputError) throw new UserInputError(error.lines.map((line) => (line.startsWith(file) ? line : `${file}: ${line}`)));
  throw error;
}

/**
 * Reads a config file, loads the plugins it lists, and validates it against every registered
 * component's schema. Every problem is a UserInputError whose lines start with the file name.
 */
export function loadExperiment(file: string, overrides: (raw: Record<string, unknown>) => void = () => undefined, baseDir?: string): LoadedExperiment {
  const path = resolve(file);
  const base = baseDir ? resolve(baseDir) : dirname(path);
  const raw = readConfigFile(file) as Record<string, unknown>;
  overrides(raw);
  const pluginSpecs = raw.plugins;
  if (pluginSpecs !== undefined && (!Array.isArray(pluginSpecs) || pluginSpecs.some((p) => typeof p !== 'string' || p.length === 0))) {
    rethrowInConfigFile(file, new UserInputError('plugins: expected an array of package names or relative folder paths'));
  }
  try {
    const { container, plugins } = createContainer((pluginSpecs as string[] | undefined) ?? [], base);
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    const validator = new ConfigValidator(registry);
    const config = validator.validate(raw);
    return { file, container, registry, validator, config, plugins, baseDir: base };
  } catch (error) {
    rethrowInConfigFile(file, error);
  }
}
