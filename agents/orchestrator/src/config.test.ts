import { ConfigError } from '@sutazai/agent-kit';
import { describe, expect, it } from 'vitest';
import { loadOrchestratorConfig } from './config.js';

describe('loadOrchestratorConfig', () => {
  it('defaults each agent to its registered port on 127.0.0.1', () => {
    expect(loadOrchestratorConfig({})).toEqual({
      agentUrls: {
        retriever: 'http://127.0.0.1:11001',
        planner: 'http://127.0.0.1:11002',
        generator: 'http://127.0.0.1:11003',
        verifier: 'http://127.0.0.1:11004',
      },
      unreachableMs: 5000,
    });
  });

  it('reads AGENT_URL_<NAME> and AGENT_UNREACHABLE_MS, and freezes the result', () => {
    const cfg = loadOrchestratorConfig({
      AGENT_URL_GENERATOR: 'https://gen.internal:8443/',
      AGENT_URL_RETRIEVER: '',
      AGENT_UNREACHABLE_MS: '750',
    });
    expect(cfg.agentUrls.generator).toBe('https://gen.internal:8443');
    expect(cfg.agentUrls.retriever).toBe('http://127.0.0.1:11001');
    expect(cfg.unreachableMs).toBe(750);
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.agentUrls)).toBe(true);
  });

  it.each([
    ['AGENT_URL_VERIFIER', 'not a url'],
    ['AGENT_URL_VERIFIER', 'ftp://127.0.0.1:11004'],
    ['AGENT_URL_PLANNER', 'http://127.0.0.1:11002/?x=1'],
    ['AGENT_UNREACHABLE_MS', '5s'],
    ['AGENT_UNREACHABLE_MS', '10'],
  ])('rejects %s=%j with a one-line ConfigError naming the variable', (variable, value) => {
    let err: unknown;
    try {
      loadOrchestratorConfig({ [variable]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as ConfigError).message).toMatch(
      new RegExp(
        `^config error: ${variable} must be .*\\(got "${value.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}"\\)$`,
      ),
    );
    expect((err as ConfigError).message).not.toContain('\n');
  });
});
