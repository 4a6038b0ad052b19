import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createMemoryBackend } from './memory/memory-backend.js';
import { composeBackend, createJobBackendFromConfig } from './backend-from-config.js';

const config = (env: Record<string, string>) => loadConfig(env, { agentName: 'planner', port: 11001 });

describe('job backend from config', () => {
  it('is the embedded memory backend when no server is configured', async () => {
    const backend = await createJobBackendFromConfig(config({}));
    try {
      expect(backend.name).toBe('memory');
      expect(backend.queue.name).toBe('agent.planner');
      expect(backend.readiness()).toEqual([]);
    } finally {
      await backend.close();
    }
  });

  it('refuses to start with dependency_unavailable when the configured Redis does not answer', async () => {
    await expect(
      createJobBackendFromConfig(config({ REDIS_URL: 'redis://127.0.0.1:1' }), {
        redis: { connectTimeoutMs: 300 },
      }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable' });
  });

  it('refuses to start with dependency_unavailable when the configured Postgres does not answer', async () => {
    await expect(
      createJobBackendFromConfig(config({ PG_DSN: 'postgres://postgres@127.0.0.1:1/none' }), {
        postgres: { connectionTimeoutMs: 300 },
      }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable' });
  });
});

describe('composeBackend', () => {
  it('swaps the store, adds checks and closes the base first, once', async () => {
    const order: string[] = [];
    const base = createMemoryBackend({ agent: 'a' });
    const other = createMemoryBackend({ agent: 'b' });
    const check = { name: 'extra', check: async () => ({ ok: true }) };
    const composed = composeBackend(
      { ...base, close: async () => void order.push('base') },
      { name: 'composed', store: other.store, checks: [check], close: async () => void order.push('extra') },
    );
    expect(composed.name).toBe('composed');
    expect(composed.store).toBe(other.store);
    expect(composed.queue).toBe(base.queue);
    expect(composed.readiness()).toEqual([check]);
    await Promise.all([composed.close(), composed.close()]);
    expect(order).toEqual(['base', 'extra']);
    await base.close();
    await other.close();
  });
});
