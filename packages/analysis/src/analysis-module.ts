import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { createFailureDetectionCallback, FAILURE_DETECTION_SCHEMA } from './callbacks/failure-detection-callback';
import { createReconstructionsCallback, RECONSTRUCTIONS_SCHEMA } from './callbacks/reconstructions-callback';
import { createRobustnessCallback, ROBUSTNESS_SCHEMA } from './callbacks/robustness-callback';

@injectable()
export class AnalysisContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'callback',
      type: 'failure-detection',
      description: 'After each trial: kernel PCA + Mahalanobis distance on clean latents, threshold at the 95th percentile, and TPR, FPR, ROC-AUC per injected and process failure (analysis/failure-detection.json)',
      optionsSchema: FAILURE_DETECTION_SCHEMA,
      create: createFailureDetectionCallback,
    });
    registry.register({
      kind: 'callback',
      type: 'robustness',
      description: 'After each trial: every modality dropped (zeros, training mean) or corrupted at increasing severity, and the reconstruction error of every modality (analysis/robustness.json)',
      optionsSchema: ROBUSTNESS_SCHEMA,
      create: createRobustnessCallback,
    });
    registry.register({
      kind: 'callback',
      type: 'reconstructions',
      description: 'Keeps a few test inputs and their reconstructions per set-up, for pixel-error figures (analysis/reconstructions.json)',
      optionsSchema: RECONSTRUCTIONS_SCHEMA,
      create: createReconstructionsCallback,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(AnalysisContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(AnalysisContribution);
});
