import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentDescriptor, createHashingEmbedder, Problem, type Embedder } from '@sutazai/agent-kit';
import { startTestService, type TestService } from '@sutazai/agent-kit/testing';
import { retrieverDefinition } from './agent.js';
import { defaultDocumentId } from './document-identity.js';
import { openRetrieverStorage, type RetrieverStorage } from './retriever-storage.js';
import { MAX_DOCUMENT_BYTES, type IngestDocument } from './retrieve-schema.js';
import { ingest, runJob, search } from './testing/retriever-jobs.js';

const GUIDE = `# Operations guide

This guide covers the daily operation of the platform.

## Installing

Install Node 20, then run npm ci to fetch the dependencies.

## Certificates

TLS certificates are rotated every 90 days by the renewal job. To rotate them by hand, run the renew-certs script.

## Backups

Nightly backups of Postgres are written to the object store and kept for 30 days.
`;

const guide = (text = GUIDE): IngestDocument => ({ id: 'ops-guide', source: 'docs/ops.md', text });

/** The hashing embedder, counting the texts it embeds. */
function countingEmbedder(): Embedder & { texts: number } {
  const inner = createHashingEmbedder();
  const counter = {
    name: inner.name,
    dimensions: inner.dimensions,
    texts: 0,
    embed(texts: string[], signal?: AbortSignal) {
      counter.texts += texts.length;
      return inner.embed(texts, signal);
    },
  };
  return counter;
}

let storage: RetrieverStorage;
let embedder: ReturnType<typeof countingEmbedder>;
let svc: TestService;
// One database for the file (opening PGlite takes a while); each test works in a tenant of its own.
let tenantSeq = 0;
let t = '';

beforeAll(async () => {
  embedder = countingEmbedder();
  storage = await openRetrieverStorage({ provider: 'memory', embedder });
  const definition = retrieverDefinition({ embedder, store: storage.store, documents: storage.documents });
  svc = await startTestService(definition, { bodyLimitBytes: 8 * 1024 * 1024 });
});

beforeEach(() => {
  t = `tenant-${++tenantSeq}`;
  embedder.texts = 0;
});

afterAll(async () => {
  await svc?.close(100);
  await storage?.close();
});

describe('retriever: ingest and search', () => {
  it('ingests Markdown by heading and finds the right section first', async () => {
    const out = await ingest(svc.app, [guide()], t);
    expect(out).toMatchObject({
      documents: [{ document_id: 'ops-guide', source: 'docs/ops.md', chunks: 4, unchanged: false }],
      chunks_total: 4,
      embedder: 'hashing-v1-384',
      store: 'pglite',
    });
    expect(await storage.store.count(t)).toBe(4);

    const found = await search(svc.app, { query: 'how are TLS certificates rotated?' }, t);
    expect(found).toMatchObject({ embedder: 'hashing-v1-384', store: 'pglite' });
    const [first] = found.passages;
    expect(first).toMatchObject({
      chunk_id: 'ops-guide#2',
      document_id: 'ops-guide',
      source: 'docs/ops.md',
      heading: 'Operations guide > Certificates',
    });
    expect(first?.text).toContain('rotated every 90 days');
    expect(first?.score).toBeGreaterThan(0);
    const backups = await search(svc.app, { query: 'where are the nightly backups kept', top_k: 1 }, t);
    expect(backups.passages.map((p) => p.chunk_id)).toEqual(['ops-guide#3']);
  });

  it('emits step events with the counts', async () => {
    const rec = await runJob(svc.app, 'retrieve.ingest', { documents: [guide()] }, t);
    const res = await svc.app.inject({ url: `/v1/jobs/${rec.job_id}/events`, headers: { 'x-tenant-id': t } });
    const steps = res.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; data: Record<string, unknown> })
      .filter((e) => e.type.startsWith('step.'));
    expect(steps.map((e) => [e.type, e.data.step])).toEqual([
      ['step.started', 'ingest'],
      ['step.completed', 'ingest.document'],
      ['step.completed', 'ingest'],
    ]);
    expect(steps[0]?.data).toMatchObject({ documents: 1, embedder: 'hashing-v1-384', store: 'pglite' });
    expect(steps[1]?.data).toMatchObject({ document_id: 'ops-guide', chunks: 4, unchanged: false });
    expect(steps[2]?.data).toMatchObject({ documents: 1, chunks_total: 4, embedded_chunks: 4 });
  });

  it('re-ingesting a document id replaces its chunks', async () => {
    await ingest(svc.app, [guide()], t);
    const edited = GUIDE.replace(
      'TLS certificates are rotated every 90 days by the renewal job. To rotate them by hand, run the renew-certs script.',
      'Certificates are now issued by cert-manager, which renews them weekly.',
    );
    const again = await ingest(svc.app, [guide(edited)], t);
    expect(again.documents[0]).toMatchObject({ chunks: 4, unchanged: false });
    expect(await storage.store.count(t)).toBe(4);

    const fresh = await search(svc.app, { query: 'who issues certificates? cert-manager' }, t);
    expect(fresh.passages[0]?.text).toContain('cert-manager');
    const old = await search(svc.app, { query: 'renew-certs script renewal job 90 days', top_k: 10 }, t);
    expect(old.passages.length).toBeGreaterThan(0);
    expect(old.passages.some((p) => p.text.includes('renew-certs'))).toBe(false);

    // A shorter version leaves none of the longer one's chunks behind.
    const short = await ingest(svc.app, [guide('# Operations guide\n\nOnly this paragraph remains.')], t);
    expect(short.documents[0]?.chunks).toBe(1);
    expect(await storage.store.count(t)).toBe(1);
  });

  it('does not re-embed an unchanged document, and does when it or its metadata changed', async () => {
    await ingest(svc.app, [guide()], t);
    expect(embedder.texts).toBe(4);
    const same = await ingest(svc.app, [guide()], t);
    expect(same.documents[0]).toMatchObject({ chunks: 4, unchanged: true });
    expect(embedder.texts).toBe(4);

    const tagged = await ingest(svc.app, [{ ...guide(), metadata: { team: 'ops' } }], t);
    expect(tagged.documents[0]?.unchanged).toBe(false);
    expect(embedder.texts).toBe(8);
    const [chunk] = await storage.store.get(t, ['ops-guide#0']);
    expect(chunk?.metadata).toEqual({ team: 'ops' });
  });

  it('re-embeds when the store no longer holds what the registry remembers', async () => {
    await ingest(svc.app, [guide()], t);
    await storage.store.deleteDocument(t, 'ops-guide');
    const again = await ingest(svc.app, [guide()], t);
    expect(again.documents[0]?.unchanged).toBe(false);
    expect(await storage.store.count(t)).toBe(4);
  });

  it('derives a stable document id from tenant and source when none is given', async () => {
    const doc = { source: 'notes/plain.txt', text: 'Plain notes about the release train schedule.' };
    const first = await ingest(svc.app, [doc], t);
    const id = defaultDocumentId(t, 'notes/plain.txt');
    expect(id).toMatch(/^doc-[0-9a-f]{16}$/);
    expect(first.documents[0]?.document_id).toBe(id);
    const second = await ingest(svc.app, [{ ...doc, text: 'The release train leaves every Tuesday.' }], t);
    expect(second.documents[0]?.document_id).toBe(id);
    expect(await storage.store.count(t)).toBe(1);
    expect(defaultDocumentId(`${t}-other`, 'notes/plain.txt')).not.toBe(id);
  });

  it('isolates tenants: another tenant finds nothing, and its same-id document is its own', async () => {
    const other = `${t}-other`;
    await ingest(svc.app, [guide()], t);
    expect((await search(svc.app, { query: 'TLS certificates' }, other)).passages).toEqual([]);

    await ingest(svc.app, [guide('# Other\n\nThe other tenant rotates nothing.')], other);
    const mine = await search(svc.app, { query: 'TLS certificates rotated' }, t);
    expect(mine.passages[0]?.text).toContain('rotated every 90 days');
    const theirs = await search(svc.app, { query: 'TLS certificates rotated', top_k: 10 }, other);
    expect(theirs.passages).toHaveLength(1);
    expect(theirs.passages[0]?.text).toContain('The other tenant rotates nothing.');
    expect(await storage.store.count(t)).toBe(4);
  });

  it('restricts a search to the given document ids', async () => {
    await ingest(
      svc.app,
      [
        guide(),
        {
          id: 'pki-faq',
          source: 'docs/pki.md',
          text: '# PKI FAQ\n\nCertificates for TLS are issued by the internal CA.',
        },
      ],
      t,
    );
    const all = await search(svc.app, { query: 'TLS certificates', top_k: 10 }, t);
    expect(new Set(all.passages.map((p) => p.document_id))).toEqual(new Set(['ops-guide', 'pki-faq']));
    const only = await search(
      svc.app,
      { query: 'TLS certificates', top_k: 10, document_ids: ['pki-faq'] },
      t,
    );
    expect(only.passages.length).toBeGreaterThan(0);
    expect(only.passages.every((p) => p.document_id === 'pki-faq')).toBe(true);
    expect((await search(svc.app, { query: 'TLS certificates', document_ids: [] }, t)).passages).toEqual([]);
  });

  it('answers a search on an empty store with no passages, and runs both descriptor examples', async () => {
    expect((await search(svc.app, { query: 'anything at all' }, t)).passages).toEqual([]);
    const descriptor = AgentDescriptor.parse((await svc.app.inject('/v1/agent')).json());
    expect(descriptor.kinds.map((k) => k.kind)).toEqual(['retrieve.ingest', 'retrieve.search']);
    const [ingestKind, searchKind] = descriptor.kinds;
    const before = await runJob(svc.app, 'retrieve.search', searchKind?.example, t);
    expect(before).toMatchObject({ status: 'succeeded', result: { passages: [] } });
    expect((await runJob(svc.app, 'retrieve.ingest', ingestKind?.example, t)).status).toBe('succeeded');
    const after = await runJob(svc.app, 'retrieve.search', searchKind?.example, t);
    expect((after.result as { passages: { source: string }[] }).passages[0]?.source).toBe(
      'examples/getting-started.md',
    );
  });

  it('keeps concurrent ingests of one document whole: the store ends with one version', async () => {
    const long = guide();
    const short = guide('# Operations guide\n\nA one-chunk version.');
    const results = await Promise.all([
      ingest(svc.app, [long], t),
      ingest(svc.app, [short], t),
      ingest(svc.app, [long], t),
    ]);
    expect(results.every((r) => r.documents.length === 1)).toBe(true);
    const count = await storage.store.count(t);
    const held = await storage.store.get(t, ['ops-guide#0', 'ops-guide#1', 'ops-guide#4']);
    if (count === 1)
      expect(held.map((c) => c.text)).toEqual([expect.stringContaining('A one-chunk version.')]);
    else expect([count, held.length]).toEqual([4, 2]);
  });
});

describe('retriever: bad input', () => {
  async function expectInvalid(kind: string, input: unknown, path: RegExp): Promise<void> {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind, input },
      headers: { 'x-tenant-id': t },
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = Problem.parse(res.json());
    expect(problem.code).toBe('invalid_input');
    expect(JSON.stringify(problem), JSON.stringify(problem)).toMatch(path);
  }

  it('rejects bad ingest input with 422 invalid_input and writes nothing', async () => {
    await expectInvalid('retrieve.ingest', { documents: [] }, /input\.documents/);
    await expectInvalid('retrieve.ingest', {}, /input\.documents/);
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `d${i}`, source: `d${i}.txt`, text: 'x' }));
    await expectInvalid('retrieve.ingest', { documents: many }, /input\.documents/);
    const huge = 'a'.repeat(MAX_DOCUMENT_BYTES + 1);
    await expectInvalid(
      'retrieve.ingest',
      { documents: [{ source: 'big.txt', text: huge }] },
      /2097152 bytes/,
    );
    await expectInvalid(
      'retrieve.ingest',
      { documents: [{ source: 'blank.txt', text: ' \n\t ' }] },
      /whitespace/,
    );
    await expectInvalid('retrieve.ingest', { documents: [{ source: 'a.md' }] }, /input\.documents\.0\.text/);
    await expectInvalid(
      'retrieve.ingest',
      { documents: [{ id: 'has space', source: 'a.md', text: 'x' }] },
      /input\.documents\.0\.id/,
    );
    await expectInvalid(
      'retrieve.ingest',
      { documents: [{ id: 'a', source: 'a.md', text: 'x', content_type: 'text/html' }] },
      /content_type/,
    );
    await expectInvalid(
      'retrieve.ingest',
      {
        documents: [
          { id: 'same', source: 'a.md', text: 'one' },
          { id: 'same', source: 'b.md', text: 'two' },
        ],
      },
      /same document as documents\[0\]/,
    );
    await expectInvalid(
      'retrieve.ingest',
      {
        documents: [
          { source: 'a.md', text: 'one' },
          { source: 'a.md', text: 'two' },
        ],
      },
      /source repeated/,
    );
    expect(await storage.store.count(t)).toBe(0);
    expect(embedder.texts).toBe(0);
  });

  it('rejects bad search input with 422 invalid_input', async () => {
    await expectInvalid('retrieve.search', { query: '' }, /input\.query/);
    await expectInvalid('retrieve.search', { query: 'q'.repeat(4001) }, /input\.query/);
    await expectInvalid('retrieve.search', { query: 'q', top_k: 51 }, /input\.top_k/);
    await expectInvalid('retrieve.search', { query: 'q', top_k: 0 }, /input\.top_k/);
    await expectInvalid('retrieve.search', { query: 'q', document_ids: ['bad id'] }, /document_ids/);
    await expectInvalid('retrieve.search', { query: 'q', extra: true }, /extra/);
  });
});
