import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sutazai/agent-kit';
import { REGISTERED_AGENTS, agentUrlsFromEnv, loadMeshConfig } from './config.js';

describe('loadMeshConfig', () => {
  it('defaults to port 10010 and the registered agents on 127.0.0.1', () => {
    const cfg = loadMeshConfig({});
    expect(cfg.port).toBe(10010);
    expect(cfg.host).toBe('127.0.0.1');
    expect(cfg.agents).toEqual({
      orchestrator: 'http://127.0.0.1:11000',
      retriever: 'http://127.0.0.1:11001',
      planner: 'http://127.0.0.1:11002',
      generator: 'http://127.0.0.1:11003',
      verifier: 'http://127.0.0.1:11004',
    });
    expect(Object.keys(cfg.agents).sort()).toEqual(Object.keys(REGISTERED_AGENTS).sort());
    expect(cfg.sseHeartbeatMs).toBeLessThanOrEqual(15_000);
    expect(cfg.registryCacheMs).toBeLessThanOrEqual(2000);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('reads REDIS_URL (or REDIS_URL_FILE) for the shared registry, hiding its value in errors', () => {
    expect(loadMeshConfig({}).redisUrl).toBeUndefined();
    expect(loadMeshConfig({ REDIS_URL: 'redis://10.0.0.9:6379/2' }).redisUrl).toBe('redis://10.0.0.9:6379/2');
    expect(() => loadMeshConfig({ REDIS_URL: 'http://user:secret@x' })).toThrow(/REDIS_URL.*\[hidden\]/);
    expect(() => loadMeshConfig({ REDIS_URL: 'http://user:secret@x' })).not.toThrow(/secret/);
    expect(() => loadMeshConfig({ REDIS_URL_FILE: '/nonexistent/redis-url' })).toThrow(/REDIS_URL_FILE/);
  });

  it('reads MESH_PORT, MESH_HOST and the AGENT_URL_<NAME> overrides and additions', () => {
    const cfg = loadMeshConfig({
      MESH_PORT: '20010',
      MESH_HOST: '0.0.0.0',
      AGENT_URL_RETRIEVER: 'http://retriever.internal:8080/',
      AGENT_URL_MY_AGENT: 'https://my-agent.internal',
      SSE_HEARTBEAT_MS: '500',
    });
    expect(cfg.port).toBe(20010);
    expect(cfg.host).toBe('0.0.0.0');
    expect(cfg.agents.retriever).toBe('http://retriever.internal:8080');
    expect(cfg.agents['my-agent']).toBe('https://my-agent.internal');
    expect(cfg.agents.orchestrator).toBe('http://127.0.0.1:11000');
    expect(cfg.sseHeartbeatMs).toBe(500);
  });

  it.each([
    [{ MESH_PORT: 'eighty' }, 'MESH_PORT'],
    [{ MESH_PORT: '70000' }, 'MESH_PORT'],
    [{ SSE_HEARTBEAT_MS: '60000' }, 'SSE_HEARTBEAT_MS'],
    [{ MESH_REGISTRY_CACHE_MS: '5000' }, 'MESH_REGISTRY_CACHE_MS'],
    [{ AGENT_URL_PLANNER: 'ftp://planner' }, 'AGENT_URL_PLANNER'],
    [{ AGENT_URL_PLANNER: 'not a url' }, 'AGENT_URL_PLANNER'],
    [{ AGENT_URL_9LIVES: 'http://x' }, 'AGENT_URL_9LIVES'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('rejects %j with one line naming %s', (env, variable) => {
    let caught: unknown;
    try {
      loadMeshConfig(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).not.toContain('\n');
  });

  it('ignores empty AGENT_URL_ variables', () => {
    expect(agentUrlsFromEnv({ AGENT_URL_PLANNER: '' }).planner).toBe('http://127.0.0.1:11002');
  });
});
