import { BackendUnavailableError, initBackend } from '@mmfuse/backend';
import { UserInputError } from '@mmfuse/core';
import { decideWorkers } from '@mmfuse/trainer';

/** `mmfuse doctor`: which backend runs and why, and the facts about it. */
export async function doctorCommand(backend: string): Promise<void> {
  try {
    const info = await initBackend(backend as never);
    const a = info.adapter;
    const lines = [
      `backend:         ${info.name} (requested ${info.requested})`,
      `reason:          ${info.reason}`,
      `version:         ${info.version} (tfjs-core ${info.tfjsVersion})`,
      // Two different things: the backend's own threads, and the replicas that split each batch.
      `backend threads: ${info.threads ?? 'n/a'}`,
      `data-parallel:   ${(() => {
        const d = decideWorkers('auto', info.name, 32, true, undefined, info.singleDevice);
        return `${d.workers} worker${d.workers > 1 ? 's' : ''} at batch 32 under "workers": "auto" (${d.reason})`;
      })()}`,
      `simd:            ${info.simd ?? 'n/a'}`,
      ...(info.convolutions ? [`convolutions:    ${info.convolutions}`] : []),
      `gpu:             ${info.gpu ?? (a ? !a.software : 'n/a')}`,
      ...(a
        ? [
            `adapter:         ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed'} (${a.description}) through ${a.api}${a.software ? ', a software rasteriser' : ''}`,
            `limits:          ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          ]
        : []),
      ...(info.tried?.length ? [`tried:           ${info.tried.join('\n                 ')}`] : []),
      `node:            ${process.version} on ${process.platform}-${process.arch}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserInputError(`doctor: ${error.message}`);
    throw error;
  }
}
