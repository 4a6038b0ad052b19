import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

const defaults = { agentName: 'planner', port: 11002 };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const cfg = loadConfig({}, defaults);
    expect(cfg).toMatchObject({
      agentName: 'planner',
      port: 11002,
      maxWorkers: 4,
      modelId: 'tinyllama',
      prometheusNamespace: 'sutazai_agents',
      vectorProvider: 'pglite',
      logLevel: 'info',
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('parses every SPEC §5 variable', () => {
    const cfg = loadConfig(
      {
        AGENT_NAME: 'gen-2',
        AGENT_PORT: '11003',
        AGENT_MAX_WORKERS: '8',
        OLLAMA_BASE_URL: 'http://127.0.0.1:10104/',
        MODEL_ID: 'llama3.2:1b',
        TEMPERATURE: '0.7',
        MAX_TOKENS: '256',
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        PG_DSN: 'postgres://u@127.0.0.1:5432/test',
        NEO4J_URI: 'bolt://127.0.0.1:7687',
        VECTOR_PROVIDER: 'qdrant',
        QDRANT_URL: 'http://127.0.0.1:10101',
        PROMETHEUS_NAMESPACE: 'acme',
        LOG_LEVEL: 'debug',
      },
      defaults,
    );
    expect(cfg).toMatchObject({
      agentName: 'gen-2',
      port: 11003,
      maxWorkers: 8,
      ollamaBaseUrl: 'http://127.0.0.1:10104',
      modelId: 'llama3.2:1b',
      temperature: 0.7,
      maxTokens: 256,
      redisUrl: 'redis://127.0.0.1:6379/0',
      pgDsn: 'postgres://u@127.0.0.1:5432/test',
      neo4jUri: 'bolt://127.0.0.1:7687',
      vectorProvider: 'qdrant',
      prometheusNamespace: 'acme',
      logLevel: 'debug',
    });
    for (const v of [
      'AGENT_NAME',
      'AGENT_PORT',
      'AGENT_MAX_WORKERS',
      'OLLAMA_BASE_URL',
      'MODEL_ID',
      'TEMPERATURE',
      'MAX_TOKENS',
      'REDIS_URL',
      'PG_DSN',
      'NEO4J_URI',
      'VECTOR_PROVIDER',
      'PROMETHEUS_NAMESPACE',
      'LOG_LEVEL',
    ]) {
      expect(CONFIG_VARIABLES).toContain(v);
    }
  });

  it.each([
    ['AGENT_PORT', 'abc', /AGENT_PORT must be an integer from 0 to 65535 \(got "abc"\)/],
    ['AGENT_PORT', '70000', /AGENT_PORT must be an integer/],
    ['AGENT_MAX_WORKERS', '0', /AGENT_MAX_WORKERS must be an integer from 1/],
    ['TEMPERATURE', 'hot', /TEMPERATURE must be a number from 0 to 2/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error/],
    ['OLLAMA_BASE_URL', 'localhost:11434', /OLLAMA_BASE_URL must be a URL/],
    ['REDIS_URL', 'http://x', /REDIS_URL must be a URL \(redis:, rediss:\) \(got "\[hidden\]"\)/],
    ['VECTOR_PROVIDER', 'milvus', /VECTOR_PROVIDER must be one of pglite, qdrant, memory/],
    ['PROMETHEUS_NAMESPACE', 'bad-name', /PROMETHEUS_NAMESPACE must be a Prometheus metric name prefix/],
  ])('%s=%s stops with one line naming the variable', (variable, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [variable]: value }, defaults);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(message);
    expect((err as ConfigError).message).not.toContain('\n');
    expect((err as ConfigError).variable).toBe(variable);
  });

  it('reads secrets from *_FILE and checks cross-field rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'pg');
    writeFileSync(file, 'postgres://secret@127.0.0.1/test\n');
    expect(loadConfig({ PG_DSN_FILE: file }, defaults).pgDsn).toBe('postgres://secret@127.0.0.1/test');
    expect(() => loadConfig({ PG_DSN_FILE: join(dir, 'missing') }, defaults)).toThrow(
      /PG_DSN_FILE must be a readable file path/,
    );
    expect(() => loadConfig({ VECTOR_PROVIDER: 'qdrant' }, defaults)).toThrow(/QDRANT_URL must be set/);
    expect(() => loadConfig({ AGENT_RETRY_BASE_MS: '500', AGENT_RETRY_MAX_MS: '100' }, defaults)).toThrow(
      /AGENT_RETRY_MAX_MS/,
    );
  });
});
