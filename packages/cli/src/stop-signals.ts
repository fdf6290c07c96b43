import { stopChildren } from './process-pool';

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Ctrl-C or SIGTERM during a run: the step in hand is abandoned (every file is written whole or
 * not at all, so nothing is half-written), child processes are stopped, the line to continue is
 * printed, and the process exits 130 (SIGINT) or 143 (SIGTERM); the run lock goes with it.
 * `resumeHint` says how to continue, once there is something to continue.
 */
export function stopCleanlyOnSignals(resumeHint: () => string | undefined): () => void {
  const stop = (signal: NodeJS.Signals) => {
    stopChildren('SIGTERM');
    const hint = resumeHint();
    process.stderr.write(`\n${signal}: stopped; every file written so far is complete${hint ? `; continue with: ${hint}` : ' (nothing to continue yet)'}\n`);
    process.exit(EXIT_CODES[signal] ?? 1);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}

export { EXIT_CODES as STOP_EXIT_CODES };
