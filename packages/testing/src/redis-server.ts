import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createServer } from 'net';

/** A Redis server for tests: the one `MMFUSE_TEST_REDIS_URL` names (CI starts one), else a private `redis-server`. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** `own`: always a private server, for tests that stop it. */
export async function startTestRedis(options: { own?: boolean } = {}): Promise<TestRedis> {
  const given = process.env.MMFUSE_TEST_REDIS_URL;
  if (given && !options.own) return { url: given, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('these tests need a Redis server: install Debian\'s redis-server (apt-get install redis-server) or set MMFUSE_TEST_REDIS_URL');
  }
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${output}`)), 10000);
    server.stdout!.on('data', (chunk) => {
      output += String(chunk);
      if (/ready to accept connections/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    // Stopping twice is harmless: a server already gone resolves at once.
    stop: () =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      }),
  };
}
