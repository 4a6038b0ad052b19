/**
 * Finding the real Redis and Postgres the integration tests run against. A server that does not
 * answer fails the suite under CI (`CI=true`) and skips it, loudly, elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { beforeAll, describe, it } from 'vitest';

/** Redis the tests use: `REDIS_URL` or the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Postgres the tests use: `PG_DSN` or the local default (trust auth). */
export const PG_DSN = process.env.PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why a server is unusable, or undefined when it answered. */
export async function probeRedis(url = REDIS_URL): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    client.disconnect();
  }
}

/** Why Postgres is unusable, or undefined when it answered. */
export async function probePostgres(dsn = PG_DSN): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `describe` that runs when the server answered (`problem` undefined). Otherwise, under CI the
 * suite fails in `beforeAll` with the reason; elsewhere it is skipped with a warning.
 */
export function describeWithServer(
  name: string,
  server: string,
  problem: string | undefined,
  body: () => void,
): void {
  if (problem === undefined) {
    describe(name, body);
    return;
  }
  const message = `${name} needs ${server}, which did not answer (${problem})`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      beforeAll(() => {
        throw new Error(`${message}. Start it or set its URL (REDIS_URL / PG_DSN).`);
      });
      it(`has a reachable ${server}`, () => undefined);
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${message}. Set CI=true to make this a failure. ***\n`);
  describe.skip(name, body);
}

/** A key prefix no other run shares. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key that starts with `prefix` (SCAN, so it is safe on a shared server). */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
