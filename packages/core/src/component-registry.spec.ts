import 'reflect-metadata';
import { Container, ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistration, ComponentRegistry } from './components';
import coreModule from './core-module';
import { UserInputError } from './errors';

function fusion(type: string): ComponentRegistration<'fusion'> {
  return {
    kind: 'fusion',
    type,
    description: `${type} fusion`,
    optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
    create: () => {
      throw new Error('not built in this test');
    },
  };
}

function containerWith(...types: string[][]): Container {
  const container = new Container();
  container.load(coreModule);
  for (const group of types) {
    @injectable()
    class Contribution implements ComponentContribution {
      registerComponents(registry: ComponentRegistry): void {
        for (const type of group) registry.register(fusion(type));
      }
    }
    container.load(new ContainerModule((bind) => bind(ComponentContribution).to(Contribution).inSingletonScope()));
  }
  return container;
}

describe('ComponentRegistry', () => {
  it('collects registrations from every bound contribution', () => {
    const registry = containerWith(['sum'], ['concat', 'attention']).get<ComponentRegistry>(ComponentRegistry);
    expect(registry.list('fusion').map((r) => r.type)).toEqual(['attention', 'concat', 'sum']);
    expect(registry.get('fusion', 'concat').description).toBe('concat fusion');
    expect(registry.has('encoder', 'sum')).toBe(false);
  });

  it('is empty, not broken, when nothing contributes', () => {
    const registry = containerWith().get<ComponentRegistry>(ComponentRegistry);
    expect(registry.list()).toEqual([]);
  });

  it('suggests the closest name for a misspelt type and mentions plugins', () => {
    const registry = containerWith(['sum', 'concat', 'attention']).get<ComponentRegistry>(ComponentRegistry);
    expect(() => registry.get('fusion', 'atention')).toThrow(UserInputError);
    expect(() => registry.get('fusion', 'atention')).toThrow(/"atention" is not a registered fusion type\. Did you mean "attention"\?.*plugins/);
    expect(() => registry.get('fusion', 'zzzzzz')).not.toThrow(/Did you mean/);
  });

  it('fails loudly when a name is registered twice', () => {
    const registry = containerWith(['sum'], ['sum']).get<ComponentRegistry>(ComponentRegistry);
    expect(() => registry.list()).toThrow(/fusion type "sum" is registered twice/);
  });

  it('passes options without "type" to the factory', () => {
    const container = containerWith();
    const registry = container.get<ComponentRegistry>(ComponentRegistry);
    const seen: unknown[] = [];
    registry.register({ ...fusion('probe'), create: (options: unknown) => (seen.push(options), {} as never) });
    registry.create('fusion', { type: 'probe', width: 3 }, { name: 'fusion', modalities: [], inputSizes: [], seed: 1 });
    expect(seen).toEqual([{ width: 3 }]);
  });
});
