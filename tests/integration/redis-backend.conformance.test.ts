/** The job backend conformance suite against a real Redis. */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { createRedisBackend } from '../../agents/common/src/adapters/redis/redis-backend.js';
import { runJobBackendConformance } from '../../agents/common/src/testing/job-backend-conformance.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';

const prefix = uniquePrefix('conformance');

describeWithServer('redis backend', 'Redis', await probeRedis(), () => {
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
  });

  runJobBackendConformance('redis', () =>
    createRedisBackend({
      agent: `c${randomUUID().slice(0, 8)}`,
      url: REDIS_URL,
      prefix,
      worker: { lockDurationMs: 2_000, stalledIntervalMs: 500, redeliveryDelayMs: 50 },
    }),
  );
});
