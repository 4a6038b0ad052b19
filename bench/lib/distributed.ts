/**
 * The Redis/Postgres stack's own storage for one run: an empty Redis logical database and a fresh
 * Postgres database on the local servers, both removed afterwards, so the bench never touches data
 * it did not create.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Storage prepared for the distributed stack. */
export interface DistributedStorage {
  env: { REDIS_URL: string; PG_DSN: string };
  cleanup(): Promise<void>;
}

/** Picks an empty Redis database (15 down to 8) and creates a Postgres database for this run. */
export async function prepareDistributed(redisBase: string, pgBase: string): Promise<DistributedStorage> {
  let db: number | undefined;
  for (let i = 15; i >= 8 && db === undefined; i--) {
    const r = new Redis(`${redisBase}/${i}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    if ((await r.dbsize()) === 0) db = i;
    r.disconnect();
  }
  if (db === undefined) throw new Error('no empty Redis database among 8-15 for the bench');
  const name = `sutazai_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const pgUrl = new URL(pgBase);
  pgUrl.pathname = `/${name}`;
  const redisUrl = `${redisBase}/${db}`;
  return {
    env: { REDIS_URL: redisUrl, PG_DSN: pgUrl.toString() },
    async cleanup() {
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      await r.flushdb();
      r.disconnect();
      const c = new pg.Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
