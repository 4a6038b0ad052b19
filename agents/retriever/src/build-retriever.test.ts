import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentError,
  AgentMetrics,
  buildAgentFromConfig,
  ConfigError,
  createLogger,
  loadConfig,
  noopLogger,
  type AgentFactoryResult,
  type AgentService,
} from '@sutazai/agent-kit';
import {
  startFakeOllama,
  startFakeQdrant,
  type FakeOllama,
  type FakeQdrant,
} from '@sutazai/agent-kit/testing';
import { Writable } from 'node:stream';
import { RETRIEVER, buildRetriever, type RetrieverOptions } from './agent.js';
import { vectorSpaceName } from './document-identity.js';
import { readEmbedDimensions } from './embedder-from-config.js';
import { ingest, runJob, search } from './testing/retriever-jobs.js';

/** `/ready` status once it settles: checks on a loaded 2-core machine may time out once. */
async function readyStatus(app: { inject(url: string): Promise<{ statusCode: number }> }): Promise<number> {
  let status = 0;
  for (let i = 0; i < 20; i++) {
    status = (await app.inject('/ready')).statusCode;
    if (status === 200) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  return status;
}

const DOC = {
  id: 'runbook',
  source: 'runbook.md',
  text: '# Runbook\n\nWhat to do when the gateway misbehaves.\n\n## Restarts\n\nRestart the gateway with systemctl restart gateway.\n\n## Paging\n\nThe on-call engineer is paged through the incident bot.\n',
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'retriever-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Running {
  service: AgentService;
  built: AgentFactoryResult;
  logs: string[];
  stop(): Promise<void>;
}

/** Builds the retriever the way `runAgent` does (env → config → factory → service), without listening. */
async function startRetriever(env: Record<string, string>, opts: RetrieverOptions = {}): Promise<Running> {
  const config = loadConfig({ LOG_LEVEL: 'debug', ...env }, { agentName: RETRIEVER.agentName, port: 0 });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ agent: config.agentName, level: config.logLevel, destination });
  const { service, built } = await buildAgentFromConfig(config, (rt) => buildRetriever(rt, opts), logger);
  service.engine.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await service.close(100);
    await built.close?.();
  };
  cleanups.push(stop);
  return { service, built, logs, stop };
}

// Each test opens (and some reopen) an embedded Postgres, which is slow on a loaded machine.
describe('buildRetriever: storage from config', { timeout: 60_000 }, () => {
  it('persists under DATA_DIR/vectors by default: a rebuilt agent still finds and remembers the document', async () => {
    const dataDir = tempDir();
    const first = await startRetriever({ DATA_DIR: dataDir });
    const out = await ingest(first.service.app, [DOC]);
    expect(out).toMatchObject({ store: 'pglite', embedder: 'hashing-v1-384', chunks_total: 3 });
    await first.stop();
    expect(existsSync(join(dataDir, 'vectors'))).toBe(true);

    const second = await startRetriever({ DATA_DIR: dataDir });
    const found = await search(second.service.app, { query: 'how do I restart the gateway' });
    expect(found.passages[0]).toMatchObject({ chunk_id: 'runbook#1', heading: 'Runbook > Restarts' });
    const again = await ingest(second.service.app, [DOC]);
    expect(again.documents[0]?.unchanged).toBe(true);
    expect(await readyStatus(second.service.app)).toBe(200);
  });

  it('VECTOR_PROVIDER=memory keeps nothing across a rebuild', async () => {
    const dataDir = tempDir();
    const first = await startRetriever({ DATA_DIR: dataDir, VECTOR_PROVIDER: 'memory' });
    await ingest(first.service.app, [DOC]);
    expect(
      (await search(first.service.app, { query: 'restart the gateway' })).passages.length,
    ).toBeGreaterThan(0);
    await first.stop();
    expect(existsSync(join(dataDir, 'vectors'))).toBe(false);
    const second = await startRetriever({ DATA_DIR: dataDir, VECTOR_PROVIDER: 'memory' });
    expect((await search(second.service.app, { query: 'restart the gateway' })).passages).toEqual([]);
  });

  it('VECTOR_PROVIDER=qdrant stores, replaces and isolates through the Qdrant API', async () => {
    const qdrant: FakeQdrant = await startFakeQdrant();
    cleanups.push(() => qdrant.close());
    const env = { DATA_DIR: tempDir(), VECTOR_PROVIDER: 'qdrant', QDRANT_URL: qdrant.url };
    const agent = await startRetriever(env);
    const collection = vectorSpaceName('hashing-v1-384');
    expect(qdrant.requests.some((r) => r.method === 'PUT' && r.path === `/collections/${collection}`)).toBe(
      true,
    );
    expect(await readyStatus(agent.service.app)).toBe(200);

    const out = await ingest(agent.service.app, [DOC], 'acme');
    expect(out).toMatchObject({ store: 'qdrant', chunks_total: 3 });
    const found = await search(agent.service.app, { query: 'who gets paged by the incident bot' }, 'acme');
    expect(found.store).toBe('qdrant');
    expect(found.passages[0]).toMatchObject({
      chunk_id: 'runbook#2',
      document_id: 'runbook',
      source: 'runbook.md',
    });
    expect((await search(agent.service.app, { query: 'incident bot' }, 'globex')).passages).toEqual([]);

    await ingest(agent.service.app, [{ ...DOC, text: '# Runbook\n\nEverything is automated now.' }], 'acme');
    const replaced = await search(
      agent.service.app,
      { query: 'incident bot paged automated', top_k: 10 },
      'acme',
    );
    expect(replaced.passages.map((p) => p.chunk_id)).toEqual(['runbook#0']);

    // The registry lives in a local PGlite; the chunks it vouches for are checked in Qdrant.
    await agent.stop();
    const rebuilt = await startRetriever(env);
    const same = await ingest(
      rebuilt.service.app,
      [{ ...DOC, text: '# Runbook\n\nEverything is automated now.' }],
      'acme',
    );
    expect(same.documents[0]?.unchanged).toBe(true);
  });

  it('fails to start when Qdrant is unreachable, naming the store', async () => {
    const env = { DATA_DIR: tempDir(), VECTOR_PROVIDER: 'qdrant', QDRANT_URL: 'http://127.0.0.1:9' };
    await expect(startRetriever(env)).rejects.toThrow(/qdrant/i);
  });
});

describe('buildRetriever: Ollama embedder (EMBED_MODEL)', { timeout: 60_000 }, () => {
  async function fakeOllama(): Promise<FakeOllama> {
    const fake = await startFakeOllama({ models: ['tinyllama', 'nomic-embed-text'], embedDims: 48 });
    cleanups.push(() => fake.close());
    return fake;
  }
  const embedCalls = (fake: FakeOllama): unknown[] =>
    fake.requests.filter((r) => r.path === '/api/embed').map((r) => r.body);

  it('learns the dimensions with one probe embed, then ingests and searches with the model', async () => {
    const ollama = await fakeOllama();
    const env = { DATA_DIR: tempDir(), OLLAMA_BASE_URL: ollama.url, EMBED_MODEL: 'nomic-embed-text' };
    const agent = await startRetriever(env);
    expect(embedCalls(ollama)).toEqual([
      expect.objectContaining({ model: 'nomic-embed-text', input: ['dimension probe'] }),
    ]);
    expect(
      agent.logs.some((l) => l.includes('"dimensions":48') && l.includes('ollama:nomic-embed-text')),
    ).toBe(true);
    // Ready: the probe loaded the embedding model; the chat model is none of the retriever's business.
    const ready = await agent.service.app.inject('/ready');
    expect(ready.statusCode, ready.body).toBe(200);
    await agent.built.afterListen?.();
    expect([...ollama.loaded]).toEqual(['nomic-embed-text:latest']);
    expect(ollama.requests.some((r) => r.path === '/api/generate' || r.path === '/api/chat')).toBe(false);

    const out = await ingest(agent.service.app, [DOC]);
    expect(out).toMatchObject({ embedder: 'ollama:nomic-embed-text', chunks_total: 3 });
    const found = await search(agent.service.app, { query: 'restart the gateway systemctl' });
    expect(found.embedder).toBe('ollama:nomic-embed-text');
    expect(found.passages[0]?.chunk_id).toBe('runbook#1');
    const lastEmbed = embedCalls(ollama).at(-1) as { input: string[] };
    expect(lastEmbed.input).toEqual(['restart the gateway systemctl']);
  });

  it('with embedDimensions makes no probe at start; the warm-up embed loads the model', async () => {
    const ollama = await fakeOllama();
    const env = {
      DATA_DIR: tempDir(),
      VECTOR_PROVIDER: 'memory',
      OLLAMA_BASE_URL: ollama.url,
      EMBED_MODEL: 'nomic-embed-text',
    };
    const agent = await startRetriever(env, { embedDimensions: 48 });
    expect(embedCalls(ollama)).toEqual([]);
    const notReady = await agent.service.app.inject('/ready');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.body).toContain('not loaded');
    await agent.built.afterListen?.();
    expect(embedCalls(ollama)).toHaveLength(1);
    expect(await readyStatus(agent.service.app)).toBe(200);
  });

  it('fails the ingest with a non-retryable model_error when the model does not match the stated dimensions', async () => {
    const ollama = await fakeOllama();
    const env = {
      DATA_DIR: tempDir(),
      VECTOR_PROVIDER: 'memory',
      OLLAMA_BASE_URL: ollama.url,
      EMBED_MODEL: 'nomic-embed-text',
    };
    const agent = await startRetriever(env, { embedDimensions: 32 });
    const rec = await runJob(agent.service.app, 'retrieve.ingest', { documents: [DOC] });
    expect(rec).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'model_error' } });
  });

  it('fails to start when the model cannot be probed, saying how to start without the probe', async () => {
    const ollama = await fakeOllama();
    const env = {
      DATA_DIR: tempDir(),
      VECTOR_PROVIDER: 'memory',
      OLLAMA_BASE_URL: ollama.url,
      EMBED_MODEL: 'not-pulled',
    };
    const err: unknown = await startRetriever(env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('model_unavailable');
    expect((err as AgentError).message).toMatch(/not-pulled.*EMBED_DIMENSIONS/);
  });

  it('refuses EMBED_MODEL without OLLAMA_BASE_URL', async () => {
    const config = loadConfig(
      { DATA_DIR: tempDir(), EMBED_MODEL: 'nomic-embed-text' },
      { ...RETRIEVER, port: 0 },
    );
    const metrics = new AgentMetrics({ namespace: 'sutazai_agents', agent: 'retriever' });
    const err: unknown = await buildRetriever({ config, logger: noopLogger, metrics }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('OLLAMA_BASE_URL');
  });
});

describe('readEmbedDimensions', () => {
  it('reads EMBED_DIMENSIONS, absent or empty as undefined', () => {
    expect(readEmbedDimensions({})).toBeUndefined();
    expect(readEmbedDimensions({ EMBED_DIMENSIONS: '' })).toBeUndefined();
    expect(readEmbedDimensions({ EMBED_DIMENSIONS: '768' })).toBe(768);
  });

  it.each(['0', '-3', '1.5', 'abc', '70000'])('rejects %s naming the variable', (raw) => {
    expect(() => readEmbedDimensions({ EMBED_DIMENSIONS: raw })).toThrow(
      /EMBED_DIMENSIONS must be an integer/,
    );
  });
});
