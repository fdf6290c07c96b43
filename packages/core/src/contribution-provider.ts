import type { interfaces } from 'inversify';

export const ContributionProvider = Symbol('ContributionProvider');
/** All services bound to one contribution identifier; empty when nothing is bound. */
export interface ContributionProvider<T> {
  getContributions(): T[];
}

class ContainerContributionProvider<T> implements ContributionProvider<T> {
  private cached: T[] | undefined;

  constructor(
    private readonly identifier: interfaces.ServiceIdentifier<T>,
    private readonly container: interfaces.Container,
  ) {}

  getContributions(): T[] {
    if (this.cached === undefined) {
      this.cached = this.container.isBound(this.identifier) ? this.container.getAll<T>(this.identifier) : [];
    }
    return this.cached;
  }
}

/** Binds a provider of `identifier` contributions, named after it (`@named(identifier)`). */
export function bindContributionProvider(bind: interfaces.Bind, identifier: symbol): void {
  bind(ContributionProvider)
    .toDynamicValue((ctx) => new ContainerContributionProvider(identifier, ctx.container))
    .inSingletonScope()
    .whenTargetNamed(identifier);
}
