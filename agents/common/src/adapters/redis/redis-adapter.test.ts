import { describe, expect, it } from 'vitest';
import { AgentError } from '../../contract/errors.js';
import { createRedisBackend } from './redis-backend.js';
import { toRedisError } from './redis-errors.js';
import { decodeAnnouncement } from './redis-event-log.js';
import { RedisKeys } from './redis-keys.js';

function replyError(message: string): Error {
  const err = new Error(message);
  err.name = 'ReplyError';
  return err;
}

describe('redis error mapping', () => {
  it('treats a lost or refused connection as dependency_unavailable (503, retryable)', () => {
    const mapped = toRedisError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      'job get',
    );
    expect(mapped).toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
      retryable: true,
      retryAfterS: 1,
    });
    expect(
      toRedisError(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'x').code,
    ).toBe('dependency_unavailable');
  });

  it('treats a server that cannot serve yet as unavailable, and a wrong command as internal', () => {
    expect(toRedisError(replyError('LOADING Redis is loading the dataset in memory'), 'x').code).toBe(
      'dependency_unavailable',
    );
    expect(toRedisError(replyError('READONLY You can’t write against a read only replica.'), 'x').code).toBe(
      'dependency_unavailable',
    );
    expect(
      toRedisError(replyError('WRONGTYPE Operation against a key holding the wrong kind of value'), 'x').code,
    ).toBe('internal');
  });

  it('keeps an AgentError as it is', () => {
    const original = new AgentError('shutting_down');
    expect(toRedisError(original, 'x')).toBe(original);
  });
});

describe('redis event announcements', () => {
  it('decode `<id> <type> <at> <data>` with spaces inside the data', () => {
    expect(decodeAnnouncement('j1', '7 token 2024-01-01T00:00:00.000Z {"text":"a b  c"}')).toEqual({
      schema: 'agentapi.v1',
      id: 7,
      job_id: 'j1',
      type: 'token',
      at: '2024-01-01T00:00:00.000Z',
      data: { text: 'a b  c' },
    });
  });

  it('ignore a malformed announcement', () => {
    expect(decodeAnnouncement('j1', '7 token')).toBeUndefined();
    expect(decodeAnnouncement('j1', 'x token 2024-01-01T00:00:00.000Z {}')).toBeUndefined();
  });
});

describe('redis keys', () => {
  it('keep every key and channel of an agent under <prefix>:agent.<name>, apart from BullMQ’s', () => {
    const keys = new RedisKeys('p', 'planner');
    expect(keys.queueName).toBe('agent.planner');
    expect(keys.dlqName).toBe('agent.planner.dlq');
    for (const key of [
      keys.job('j'),
      keys.jobIndexFor('t', 'queued'),
      keys.events('j'),
      keys.eventChannel('j'),
      keys.idempotency('k'),
      keys.dlqEntries,
      keys.dlqTenant('t'),
    ]) {
      expect(key).toMatch(/^p:agent\.planner\./);
    }
  });
});

describe('redis backend start-up', () => {
  it('refuses an empty agent name', async () => {
    await expect(createRedisBackend({ agent: '', url: 'redis://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('rejects with dependency_unavailable when nothing listens', async () => {
    const startedAt = Date.now();
    await expect(
      createRedisBackend({ agent: 'a', url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable', status: 503 });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });
});
