import { ContainerModule, injectable } from 'inversify';
import { ComponentContribution, ComponentRegistry } from '@mmfuse/core';
import { FILES_SOURCE_SCHEMA } from './files-options';
import { createFilesSource } from './files-source';
import { createHdf5Source, HDF5_SOURCE_SCHEMA } from './hdf5-source';
import { createNpySource, NPY_SOURCE_SCHEMA } from './npy-source';

/** Data sources that read a user's files: npy/npz arrays, HDF5 datasets, and folders of images and CSV series. */
@injectable()
export class DataFilesContribution implements ComponentContribution {
  registerComponents(registry: ComponentRegistry): void {
    registry.register({
      kind: 'data',
      type: 'npy',
      description: 'Arrays saved with numpy: one .npy per modality [N, ...] or the arrays of one .npz archive, optionally the episode of each sample for the split',
      optionsSchema: NPY_SOURCE_SCHEMA,
      create: createNpySource,
    });
    registry.register({
      kind: 'data',
      type: 'hdf5',
      description: 'Datasets of an HDF5 file, one per modality [N, ...] by path, optionally a dataset giving the episode of each sample for the split',
      optionsSchema: HDF5_SOURCE_SCHEMA,
      create: createHdf5Source,
    });
    registry.register({
      kind: 'data',
      type: 'files',
      description: 'A folder of camera frames (PNG/JPEG) and CSV time series with timestamps, one subfolder per episode: frames paired with the window of each series ending at their time; split by episode',
      optionsSchema: FILES_SOURCE_SCHEMA,
      create: createFilesSource,
    });
  }
}

export default new ContainerModule((bind) => {
  bind(DataFilesContribution).toSelf().inSingletonScope();
  bind(ComponentContribution).toService(DataFilesContribution);
});
