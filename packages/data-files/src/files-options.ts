// The options of the `files` data source: their types, their JSON Schema (which the config
// validator applies, defaults included) and the defaults for callers that build options in code.
import { CsvDelimiter, TIME_UNITS, TimeUnit } from './csv-series';

export interface FilesImageOptions {
  /** Folder of the frames, relative to the episode folder. */
  folder: string;
  /** Regular expression that image file names match. */
  pattern: string;
  timestamp: 'filename' | 'index';
  /** Where the time is in a file name: the first capture group, or the whole match. */
  timestampPattern: string;
  timeUnit: TimeUnit;
  /** Frames per second when frames are timed by index. */
  fps?: number;
  size: number;
  crop?: [number, number, number, number];
}

export interface FilesSeriesOptions {
  name: string;
  /** CSV file, relative to the episode folder. */
  file: string;
  timestamp: string;
  timeUnit: TimeUnit;
  /** Every numeric column but the timestamp when left out. */
  columns?: string[];
  delimiter: CsvDelimiter;
}

export interface FilesSourceOptions {
  /** Folder of the data set (relative to the config). */
  root: string;
  /** Pattern (`*`, `?`) of the episode subfolders of root, or "single" when root is one episode. */
  episodes: string;
  maxEpisodes?: number;
  imageName: string;
  images: FilesImageOptions;
  series: FilesSeriesOptions[];
  window: number;
  windowStep: number;
  align: 'last' | 'nearest';
  /** Largest |Δt| in seconds between a frame and a series row; 1.5 × the median row period when left out. */
  tolerance?: number;
  testFraction: number;
  /** Follow symbolic links that lead out of root (refused by default). */
  followLinksOutside: boolean;
}

const TIME_UNIT = { enum: [...TIME_UNITS], default: 's' };

export const FILES_SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['root', 'series'],
  properties: {
    root: { type: 'string', minLength: 1, description: 'Folder of the data set, relative to the config file.' },
    episodes: {
      type: 'string',
      minLength: 1,
      default: '*',
      description: 'Which subfolders of root are episodes: a name pattern with * and ? (natural order), or "single" when root itself is one episode (then the split is in time: the last frames are the test set).',
    },
    maxEpisodes: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Use only the first N episodes (natural order of folder names).' },
    followLinksOutside: {
      type: 'boolean',
      default: false,
      description: 'Follow symbolic links inside root that lead out of it; by default such a link is an error, so files from elsewhere never join the data set unasked.',
    },
    imageName: { type: 'string', minLength: 1, default: 'camera', description: 'Name of the image modality.' },
    images: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The camera frames of each episode: RGB [size, size, 3] in [0, 1].',
      properties: {
        folder: { type: 'string', default: 'images', description: 'Folder of the frames, relative to the episode folder ("." for the episode folder itself).' },
        pattern: { type: 'string', minLength: 1, default: '\\.(png|jpe?g)$', description: 'Regular expression (case-insensitive) that image file names match. PNG and JPEG are read, recognised by content.' },
        timestamp: {
          enum: ['filename', 'index'],
          default: 'filename',
          description: 'filename: the time is the number in the file name (see timestampPattern, timeUnit); index: frame k (natural order of names) is at the first row of the first series plus k / fps.',
        },
        timestampPattern: { type: 'string', minLength: 1, default: '\\d+(?:\\.\\d+)?', description: 'Regular expression finding the time in a file name: its first capture group, or the whole match (default: the first number).' },
        timeUnit: { ...TIME_UNIT, description: 'Unit of the times in file names.' },
        fps: { type: 'number', exclusiveMinimum: 0, maximum: 100000, description: 'Frames per second; required with timestamp "index".' },
        size: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Side of the square output image: frames are resized (area average when shrinking, bilinear when enlarging).' },
        crop: {
          type: 'array',
          items: { type: 'integer', minimum: 0 },
          minItems: 4,
          maxItems: 4,
          description: 'Optional [x, y, width, height] in source pixels, cut out before resizing.',
        },
      },
    },
    series: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      description: 'CSV files of each episode with a header line and a timestamp column; one series modality [window, columns] each.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'file'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Modality name.' },
          file: { type: 'string', minLength: 1, description: 'CSV file, relative to the episode folder (e.g. "joints.csv").' },
          timestamp: { type: 'string', minLength: 1, default: 'timestamp', description: 'Header of the timestamp column; timestamps must increase.' },
          timeUnit: { ...TIME_UNIT, description: 'Unit of the timestamp column.' },
          columns: {
            type: 'array',
            items: { type: 'string', minLength: 1 },
            minItems: 1,
            uniqueItems: true,
            description: 'Columns to use, in this order; left out: every column but the timestamp whose first value is a number.',
          },
          delimiter: { enum: [',', ';', '\t', 'auto'], default: 'auto', description: 'Field delimiter; auto picks the most frequent of , ; and tab in the header. With ; or tab, decimal commas are read.' },
        },
      },
    },
    window: { type: 'integer', minimum: 1, maximum: 100000, default: 16, description: 'Window length L in rows: each frame gets the L rows of each series ending at its aligned row (see align).' },
    windowStep: { type: 'integer', minimum: 1, maximum: 100000, default: 1, description: 'Keep every n-th usable frame of an episode.' },
    align: {
      enum: ['last', 'nearest'],
      default: 'last',
      description:
        'Which row a frame\'s windows end at. last: the last row at or before the frame (or the next row, when that one alone is within the tolerance); nearest: the nearest row (use it when the clocks jitter around simultaneous samples).',
    },
    tolerance: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1000000,
      description: 'Largest allowed distance in seconds between a frame and its nearest series row; farther frames are dropped and counted. Default: 1.5 × the median row period of each series.',
    },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.25, description: 'Share of episodes held out for testing (with a single episode: share of its last frames).' },
  },
};

type SchemaNode = { properties?: Record<string, SchemaNode & { default?: unknown }>; items?: SchemaNode };

function defaultsOf(schema: SchemaNode): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema.properties ?? {}).flatMap(([key, p]) => (p.default === undefined ? [] : [[key, p.default]])));
}

/** Options as a caller may write them: only root and each series' name and file are needed. */
export type FilesSourceInput = Partial<Omit<FilesSourceOptions, 'images' | 'series'>> & {
  root: string;
  images?: Partial<FilesImageOptions>;
  series: Array<Partial<FilesSeriesOptions> & { name: string; file: string }>;
};

/** The options with every default filled in (what the config validator's `useDefaults` also gives). */
export function withFilesDefaults(options: FilesSourceInput): FilesSourceOptions {
  const schema = FILES_SOURCE_SCHEMA as unknown as SchemaNode;
  const properties = schema.properties!;
  // An option given as undefined keeps its default, as it would in a config.
  const given = (values: object | undefined) => Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined));
  return {
    ...defaultsOf(schema),
    ...given(options),
    images: { ...defaultsOf(properties.images), ...given(options.images) },
    series: options.series.map((s) => ({ ...defaultsOf(properties.series.items!), ...given(s) })),
  } as unknown as FilesSourceOptions;
}
