import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { isAgentError } from '../contract/errors.js';
import { newReplicaId } from './agent-registry.js';
import { createStaticAgentRegistry, staticAgentUrls } from './static-agent-registry.js';

describe('staticAgentUrls', () => {
  it('reads AGENT_URL_<NAME> over the defaults, underscores as dashes, trailing slashes dropped', () => {
    const urls = staticAgentUrls(
      { AGENT_URL_RETRIEVER: 'http://10.0.0.5:11001/', AGENT_URL_MY_AGENT: 'https://x.example', OTHER: 'y' },
      { retriever: 'http://127.0.0.1:11001', planner: 'http://127.0.0.1:11002' },
    );
    expect(urls).toEqual({
      retriever: 'http://10.0.0.5:11001',
      planner: 'http://127.0.0.1:11002',
      'my-agent': 'https://x.example',
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => staticAgentUrls({ AGENT_URL_PLANNER: 'ftp://x' })).toThrow(ConfigError);
    expect(() => staticAgentUrls({ AGENT_URL_PLANNER: 'ftp://x' })).toThrow(/AGENT_URL_PLANNER/);
    expect(() => staticAgentUrls({ AGENT_URL_9X: 'http://x' })).toThrow(/AGENT_URL_9X/);
  });
});

describe('static agent registry', () => {
  it('lists the configured agents, and replicas announced in-process until withdrawn', async () => {
    const registry = createStaticAgentRegistry({ retriever: 'http://127.0.0.1:11001/', planner: 'http://p' });
    expect(registry.ttlMs).toBe(0);
    expect(await registry.live('retriever')).toEqual([
      {
        agent: 'retriever',
        replica_id: 'retriever@config',
        url: 'http://127.0.0.1:11001',
        source: 'configured',
      },
    ]);
    const a = await registry.announce({
      agent: 'retriever',
      replica_id: 'host-1-abc',
      url: 'http://127.0.0.1:11101',
      version: '0.1.0',
      started_at: '2024-01-01T00:00:00.000Z',
      capability: 'retrieve',
    });
    expect((await registry.live('retriever')).map((r) => [r.replica_id, r.source, r.version])).toEqual([
      ['host-1-abc', 'announced', '0.1.0'],
      ['retriever@config', 'configured', undefined],
    ]);
    expect((await registry.live()).map((r) => r.agent)).toEqual(['planner', 'retriever', 'retriever']);
    await a.withdraw();
    expect(await registry.live('retriever')).toHaveLength(1);
  });

  it('refuses an announcement whose names could not be keys or URLs', async () => {
    const registry = createStaticAgentRegistry({});
    const good = {
      agent: 'x',
      replica_id: 'r',
      url: 'http://x',
      version: '1',
      started_at: '',
      capability: 'c',
    };
    for (const bad of [{ agent: 'X:y' }, { replica_id: 'a b' }, { url: 'not a url' }, { url: 'ftp://x' }]) {
      const err = await registry.announce({ ...good, ...bad }).catch((e: unknown) => e);
      expect(isAgentError(err) && err.code).toBe('bad_request');
    }
  });
});

describe('newReplicaId', () => {
  it('is host-pid-random with the host made key-safe, different each time', () => {
    const id = newReplicaId('my host:01', 42);
    expect(id).toMatch(/^my-host-01-42-[0-9a-f]{6}$/);
    expect(newReplicaId('h', 1)).not.toBe(newReplicaId('h', 1));
  });
});
