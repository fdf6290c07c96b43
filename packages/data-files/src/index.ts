export { DataFilesContribution, default as dataFilesModule } from './data-files-module';
export { NpyModalityOptions, NpySource, NpySourceOptions, NPY_SOURCE_SCHEMA } from './npy-source';
export { createHdf5Source, Hdf5ModalityOptions, Hdf5Source, Hdf5SourceOptions, HDF5_SOURCE_SCHEMA } from './hdf5-source';
export { FilesImageOptions, FilesSeriesOptions, FilesSourceInput, FilesSourceOptions, FILES_SOURCE_SCHEMA, withFilesDefaults } from './files-options';
export { FilesSource } from './files-source';
export { CsvSeries, CsvSeriesSpec, detectDelimiter, parseTime, readCsvSeries, TimeUnit } from './csv-series';
export { decodeImage, DecodedImage, listImageFiles, resizeInto } from './image-frames';
