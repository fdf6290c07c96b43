import 'reflect-metadata';
import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Container } from 'inversify';
import { ComponentRegistry } from './components';
import coreModule from './core-module';
import { loadPlugins } from './plugin-loader';

// A plugin written as a third party would ship it: plain CommonJS, its own package.json.
function writePlugin(root: string, name: string, moduleSource: string, manifest: object = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', mmfuse: { module: './module.js' }, ...manifest }));
  writeFileSync(join(dir, 'module.js'), moduleSource);
  return dir;
}

const goodModule = (type: string) => `
const { ContainerModule } = require(${JSON.stringify(require.resolve('inversify'))});
const { ComponentContribution } = require(${JSON.stringify(require.resolve('./components'))});
class Contribution {
  registerComponents(registry) {
    registry.register({ kind: 'fusion', type: '${type}', description: 'test', optionsSchema: { type: 'object' }, create: () => ({}) });
  }
}
module.exports = { default: new ContainerModule((bind) => bind(ComponentContribution).to(Contribution).inSingletonScope()) };
`;

describe('loadPlugins', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmfuse-plugins-'));

  function freshContainer(): Container {
    const container = new Container();
    container.load(coreModule);
    return container;
  }

  it('loads a plugin folder by relative path and stamps its registrations with its name', () => {
    writePlugin(root, 'gated', goodModule('gated'));
    const container = freshContainer();
    const loaded = loadPlugins(container, ['./gated'], root);
    expect(loaded).toEqual([expect.objectContaining({ name: 'gated', version: '1.2.3' })]);
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    expect(registry.get('fusion', 'gated').source).toBe('gated');
  });

  it('names both plugins when they register the same type', () => {
    writePlugin(root, 'first', goodModule('same'));
    writePlugin(root, 'second', goodModule('same'));
    const container = freshContainer();
    loadPlugins(container, ['./first', './second'], root);
    expect(() => container.get<ComponentRegistry>(ComponentRegistry).list()).toThrow(/registered twice: by first and by second/);
  });

  it('names the plugin and its place in the config when it cannot be used', () => {
    writePlugin(root, 'throws', "throw new Error('boom at import');");
    writePlugin(root, 'wrong-export', 'module.exports = { default: 42 };');
    writePlugin(root, 'no-entry', '', { mmfuse: undefined });
    const c = freshContainer();
    expect(() => loadPlugins(c, ['./missing'], root)).toThrow(/^plugins\[0\]: plugin folder "\.\/missing" does not exist/);
    expect(() => loadPlugins(c, ['mmfuse-no-such-package'], root)).toThrow(/plugins\[0\]: plugin package "mmfuse-no-such-package" is not installed/);
    expect(() => loadPlugins(c, ['./throws'], root)).toThrow(/plugins\[0\]: plugin "throws" failed while loading .*boom at import/);
    // A dependency the plugin lacks: one line, without Node's require stack.
    writePlugin(root, 'needs-missing', "require('mmfuse-dependency-that-is-not-installed');");
    let message = '';
    try {
      loadPlugins(c, ['./needs-missing'], root);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^plugins\[0\]: plugin "needs-missing" failed while loading .*: Cannot find module 'mmfuse-dependency-that-is-not-installed'/);
    expect(message.split('\n')).toHaveLength(1);
    expect(() => loadPlugins(c, ['./gated', './wrong-export'], root)).toThrow(/plugins\[1\]: plugin "wrong-export" does not export an inversify ContainerModule/);
    expect(() => loadPlugins(c, ['./no-entry'], root)).toThrow(/"\.\/no-entry" is not an mmfuse plugin/);
  });
});
