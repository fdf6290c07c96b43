import type { BackendInfo } from './backend-info';

/** What a backend's start gives: its facts, or why it cannot start here. */
export type BackendStart = { ok: true; info: Omit<BackendInfo, 'requested' | 'reason' | 'tried'>; why: string } | { ok: false; why: string };

/**
 * A TensorFlow.js backend mmfuse can compute on. Built-ins are native TensorFlow, WebGPU,
 * WebAssembly and pure JavaScript; a plugin package adds one by registering its provider when it
 * is loaded, as it would a fusion.
 */
export interface BackendProvider {
  /** The name a config uses, and tfjs's backend name once started. */
  readonly name: string;
  readonly description: string;
  /** Order in which `auto` tries it (lower first); absent: only started when named. */
  readonly autoRank?: number;
  /**
   * Prepares and activates the backend. `named` is true when the config names it (for WebGPU: a
   * software adapter is then accepted); under `auto` a provider declines what would be slow.
   */
  start(named: boolean): Promise<BackendStart>;
}

const providers = new Map<string, BackendProvider>();

/** Adds (or replaces) a backend provider. */
export function registerBackendProvider(provider: BackendProvider): void {
  if (!/^[a-z][a-z0-9-]*$/.test(provider.name) || provider.name === 'auto') throw new Error(`backend provider name "${provider.name}" must be lower-case letters, digits and dashes, and not "auto"`);
  providers.set(provider.name, provider);
}

export function backendProvider(name: string): BackendProvider | undefined {
  return providers.get(name);
}

/** Every registered backend, in the order `auto` tries them (then those it never tries). */
export function backendProviders(): BackendProvider[] {
  return [...providers.values()].sort((a, b) => (a.autoRank ?? Infinity) - (b.autoRank ?? Infinity));
}
