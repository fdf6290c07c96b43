import { ContainerModule } from 'inversify';
import { ExperimentRunner } from './experiment-runner';

export default new ContainerModule((bind) => {
  bind(ExperimentRunner).toSelf().inSingletonScope();
});
