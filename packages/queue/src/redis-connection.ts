import IORedis, { RedisOptions } from 'ioredis';
import { UserInputError } from '@mmfuse/core';

/** A Redis URL with its password replaced by `***`, for messages and records. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable Redis URL>';
  }
}

/**
 * Checks `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS) and returns the options
 * ioredis takes; anything else is a one-line input error naming the option.
 */
export function parseRedisUrl(url: string, option = '--queue'): { url: string; tls: boolean; db: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserInputError(`${option} ${maskRedisUrl(url)}: not a URL; expected redis://host:port[/db] or rediss://host:port[/db] for TLS`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UserInputError(`${option} ${maskRedisUrl(url)}: expected a redis:// or rediss:// URL, got ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new UserInputError(`${option} ${maskRedisUrl(url)}: the URL names no host`);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UserInputError(`${option} ${maskRedisUrl(url)}: database "${dbText}" is not a whole number ≥ 0`);
  return { url, tls: parsed.protocol === 'rediss:', db };
}

/**
 * A connection BullMQ can use (it needs `maxRetriesPerRequest: null`), checked with a PING so an
 * unreachable or password-protected server is one clear line rather than endless retries.
 */
export async function connectRedis(url: string, options: { option?: string; timeoutMs?: number } = {}): Promise<IORedis> {
  const { tls } = parseRedisUrl(url, options.option);
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    // ioredis enables TLS for rediss:// URLs itself; the servername check stays on.
    ...(tls ? { tls: {} } : {}),
  };
  const connection = new IORedis(url, redisOptions);
  // Errors before the first successful PING are reported below (the server's own words, e.g.
  // WRONGPASS, come as an event); later ones make BullMQ retry.
  let serverError: Error | undefined;
  const remember = (error: Error) => (serverError = error);
  connection.on('error', remember);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    await Promise.race([
      connection.connect().then(() => connection.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ]);
  } catch (error) {
    connection.disconnect();
    const reason = (serverError ?? (error as Error)).message.split('\n')[0];
    throw new UserInputError(`${options.option ?? '--queue'} ${maskRedisUrl(url)}: cannot use this Redis server (${reason})`);
  }
  connection.off('error', remember);
  connection.on('error', () => undefined);
  return connection;
}
