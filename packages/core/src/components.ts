import type { DataSource, DataSourceContext, ModalitySpec } from './data';
import type {
  Decoder,
  DecoderContext,
  Encoder,
  EncoderContext,
  Fusion,
  FusionContext,
  Regularizer,
  RegularizerContext,
} from './model';
import type { CallbackContext, TrainingCallback } from './training';

/** A JSON Schema (draft 2020-12) object. */
export type JsonSchema = Record<string, unknown>;

/** What each extension point builds, and what its factory is given. */
export interface ComponentKinds {
  data: { product: DataSource; context: DataSourceContext };
  encoder: { product: Encoder; context: EncoderContext };
  decoder: { product: Decoder; context: DecoderContext };
  fusion: { product: Fusion; context: FusionContext };
  regularizer: { product: Regularizer; context: RegularizerContext };
  callback: { product: TrainingCallback; context: CallbackContext };
}

export type ComponentKind = keyof ComponentKinds;

export const COMPONENT_KINDS: readonly ComponentKind[] = ['data', 'encoder', 'decoder', 'fusion', 'regularizer', 'callback'];

/**
 * One registered component type: the name a config's `type` picks, the JSON Schema of its options
 * (without `type`; `additionalProperties: false`, defaults and descriptions inside), and a factory
 * called with the validated options (defaults applied).
 */
// `any` by default so that registrations with their own option types fit one registry.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ComponentRegistration<K extends ComponentKind = ComponentKind, O = any> {
  readonly kind: K;
  readonly type: string;
  readonly description: string;
  readonly optionsSchema: JsonSchema;
  create(options: O, context: ComponentKinds[K]['context']): ComponentKinds[K]['product'];
  /**
   * Data sources only: the modalities the options will produce, without generating any data,
   * so that a config can be checked (names, shapes, model sizes) before a run starts.
   */
  modalities?(options: O): ModalitySpec[];
  /** Package that registered it; filled in by the plugin loader when left out. */
  source?: string;
}

export const ComponentRegistry = Symbol('ComponentRegistry');
/** Maps `(kind, type)` to a registration. Duplicate names fail; unknown names get a suggestion. */
export interface ComponentRegistry {
  register(registration: ComponentRegistration): void;
  get<K extends ComponentKind>(kind: K, type: string): ComponentRegistration<K>;
  has(kind: ComponentKind, type: string): boolean;
  list(kind?: ComponentKind): ComponentRegistration[];
  create<K extends ComponentKind>(
    kind: K,
    config: { type: string; [option: string]: unknown },
    context: ComponentKinds[K]['context'],
  ): ComponentKinds[K]['product'];
}

export const ComponentContribution = Symbol('ComponentContribution');
/** Extension point: a package contributes its component types to the registry. */
export interface ComponentContribution {
  registerComponents(registry: ComponentRegistry): void;
}
