import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { createTestAgent } from '../testing/test-agent.js';
import { buildAgentFromConfig, createJobBackend, loadAnnounceSettings, replicaUrl } from './run-agent.js';

describe('loadAnnounceSettings', () => {
  it('defaults to no public URL and a 10 s registry TTL', () => {
    expect(loadAnnounceSettings({})).toEqual({ publicUrl: undefined, registryTtlMs: 10_000 });
  });

  it('reads AGENT_PUBLIC_URL (trailing slash dropped) and AGENT_REGISTRY_TTL_MS', () => {
    expect(
      loadAnnounceSettings({
        AGENT_PUBLIC_URL: 'https://planner-2.internal:8443/',
        AGENT_REGISTRY_TTL_MS: '3000',
      }),
    ).toEqual({ publicUrl: 'https://planner-2.internal:8443', registryTtlMs: 3000 });
  });

  it.each([
    [{ AGENT_PUBLIC_URL: 'planner:11002' }, 'AGENT_PUBLIC_URL'],
    [{ AGENT_PUBLIC_URL: 'http://x?y=1' }, 'AGENT_PUBLIC_URL'],
    [{ AGENT_REGISTRY_TTL_MS: '50' }, 'AGENT_REGISTRY_TTL_MS'],
    [{ AGENT_REGISTRY_TTL_MS: 'ten' }, 'AGENT_REGISTRY_TTL_MS'],
  ])('names the variable of a bad value: %o', (env, variable) => {
    const err = (() => {
      try {
        loadAnnounceSettings(env);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
  });
});

describe('replicaUrl', () => {
  it('prefers the public URL, else the bind address and the port listened on', () => {
    expect(replicaUrl('https://x.example', '127.0.0.1', 1)).toBe('https://x.example');
    expect(replicaUrl(undefined, '10.1.2.3', 11001)).toBe('http://10.1.2.3:11001');
    expect(replicaUrl(undefined, '::1', 11001)).toBe('http://[::1]:11001');
  });

  it('uses the machine name for a wildcard bind address, which no peer could dial', () => {
    expect(replicaUrl(undefined, '0.0.0.0', 11002)).toBe(`http://${hostname()}:11002`);
  });
});

describe('buildAgentFromConfig without REDIS_URL', () => {
  it('builds on the embedded backend and hands the factory no registry', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, { agentName: 'testagent', port: 0 });
    let sawRegistry: unknown = 'not called';
    const { service, registry } = await buildAgentFromConfig(config, (rt) => {
      sawRegistry = rt.registry;
      return { definition: createTestAgent().definition };
    });
    try {
      expect(sawRegistry).toBeUndefined();
      expect(registry).toBeUndefined();
      const res = await service.app.inject({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(200);
    } finally {
      await service.close(0);
    }
    const backend = await createJobBackend(config);
    expect(backend.name).toBe('memory');
    await backend.close();
  });
});
