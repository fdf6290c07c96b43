import { inject, injectable, named, optional } from 'inversify';
import { ComponentContribution, ComponentKind, ComponentKinds, ComponentRegistration, ComponentRegistry } from './components';
import { ContributionProvider } from './contribution-provider';
import { UserInputError } from './errors';
import { LoadedPlugins } from './plugin-loader';
import { didYouMean } from './suggest';

@injectable()
export class ComponentRegistryImpl implements ComponentRegistry {
  private readonly registrations = new Map<string, ComponentRegistration>();
  private contributionsLoaded = false;

  constructor(
    @inject(ContributionProvider)
    @named(ComponentContribution)
    private readonly contributions: ContributionProvider<ComponentContribution>,
    @inject(LoadedPlugins) @optional() private readonly plugins?: LoadedPlugins,
  ) {}

  register(registration: ComponentRegistration): void {
    const key = `${registration.kind}:${registration.type}`;
    const existing = this.registrations.get(key);
    if (existing) {
      throw new UserInputError(
        `${registration.kind} type "${registration.type}" is registered twice: by ${existing.source ?? 'an unnamed package'} and by ${registration.source ?? 'an unnamed package'}`,
      );
    }
    this.registrations.set(key, registration);
  }

  get<K extends ComponentKind>(kind: K, type: string): ComponentRegistration<K> {
    this.ensureContributions();
    const found = this.registrations.get(`${kind}:${type}`);
    if (!found) {
      const names = this.list(kind).map((r) => r.type);
      throw new UserInputError(
        `"${type}" is not a registered ${kind} type.${didYouMean(type, names)} Registered: ${names.join(', ') || 'none'}. A third-party ${kind} is loaded by listing its package in "plugins".`,
      );
    }
    return found as ComponentRegistration<K>;
  }

  has(kind: ComponentKind, type: string): boolean {
    this.ensureContributions();
    return this.registrations.has(`${kind}:${type}`);
  }

  list(kind?: ComponentKind): ComponentRegistration[] {
    this.ensureContributions();
    const all = [...this.registrations.values()];
    return (kind ? all.filter((r) => r.kind === kind) : all).sort((a, b) =>
      a.kind === b.kind ? a.type.localeCompare(b.type) : a.kind.localeCompare(b.kind),
    );
  }

  create<K extends ComponentKind>(
    kind: K,
    config: { type: string; [option: string]: unknown },
    context: ComponentKinds[K]['context'],
  ): ComponentKinds[K]['product'] {
    const { type, ...options } = config;
    return this.get(kind, type).create(options, context);
  }

  private ensureContributions(): void {
    if (this.contributionsLoaded) return;
    this.contributionsLoaded = true;
    for (const contribution of this.contributions.getContributions()) {
      const source = this.plugins?.sourceOf(contribution);
      // Stamp each registration with the plugin it came from, so duplicate names can name both.
      const stamping: ComponentRegistry = Object.create(this);
      stamping.register = (registration) => this.register({ ...registration, create: registration.create, source: registration.source ?? source });
      contribution.registerComponents(stamping);
    }
  }
}
