import { ContainerModule } from 'inversify';
import { ComponentContribution } from '@mmfuse/core';
import { EncodersContribution } from './encoders-contribution';

export default new ContainerModule((bind) => {
  bind(EncodersContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(EncodersContribution);
});
