import { ContainerModule } from 'inversify';
import { ComponentContribution, ComponentRegistry } from './components';
import { ComponentRegistryImpl } from './component-registry';
import { bindContributionProvider } from './contribution-provider';

/** Binds the component registry and the provider of component contributions. */
export default new ContainerModule((bind) => {
  bindContributionProvider(bind, ComponentContribution);
  bind(ComponentRegistryImpl).toSelf().inSingletonScope();
  bind(ComponentRegistry).toService(ComponentRegistryImpl);
});
