import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresDocumentRepository,
  type DocumentRecord,
  type DocumentRepository,
} from './postgres-document-repository.js';

let db: PGlite;
let repo: DocumentRepository;

beforeAll(async () => {
  db = await PGlite.create();
  repo = await createPostgresDocumentRepository({ db, schema: 'docs' });
});

afterAll(async () => {
  await db.close();
});

function doc(overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    tenantId: 't1',
    documentId: 'guide.md',
    source: 'uploads/guide.md',
    contentHash: 'sha256:aaa',
    chunks: 3,
    ingestedAt: '2024-05-06T07:08:09.123Z',
    ...overrides,
  };
}

describe('postgres document repository', () => {
  it('inserts, then replaces, reporting whether it was new and the hash it had', async () => {
    const first = doc({ documentId: 'upsert.md', metadata: { lang: 'en' } });
    expect(await repo.upsertDocument(first)).toEqual({ created: true, previousHash: undefined });
    expect(await repo.getDocument('t1', 'upsert.md')).toEqual(first);

    const second = doc({
      documentId: 'upsert.md',
      contentHash: 'sha256:bbb',
      chunks: 5,
      ingestedAt: '2024-05-07T00:00:00.000Z',
    });
    expect(await repo.upsertDocument(second)).toEqual({ created: false, previousHash: 'sha256:aaa' });
    expect(await repo.getDocument('t1', 'upsert.md')).toEqual(second);
  });

  it('lists a tenant’s documents, most recently ingested first, up to the limit, and no one else’s', async () => {
    const tenant = 'list-tenant';
    await repo.upsertDocument(
      doc({ tenantId: tenant, documentId: 'old', ingestedAt: '2024-01-01T00:00:00.000Z' }),
    );
    await repo.upsertDocument(
      doc({ tenantId: tenant, documentId: 'new', ingestedAt: '2024-03-01T00:00:00.000Z' }),
    );
    await repo.upsertDocument(
      doc({ tenantId: tenant, documentId: 'mid', ingestedAt: '2024-02-01T00:00:00.000Z' }),
    );
    await repo.upsertDocument(doc({ tenantId: 'other', documentId: 'new' }));
    expect((await repo.listDocuments(tenant)).map((d) => d.documentId)).toEqual(['new', 'mid', 'old']);
    expect((await repo.listDocuments(tenant, { limit: 2 })).map((d) => d.documentId)).toEqual(['new', 'mid']);
    expect(await repo.listDocuments('nobody')).toEqual([]);
  });

  it('deletes a document once', async () => {
    await repo.upsertDocument(doc({ documentId: 'gone' }));
    expect(await repo.deleteDocument('t1', 'gone')).toBe(true);
    expect(await repo.deleteDocument('t1', 'gone')).toBe(false);
    expect(await repo.getDocument('t1', 'gone')).toBeUndefined();
  });

  it('shares the migrations with the job store (running them again is harmless)', async () => {
    const again = await createPostgresDocumentRepository({ db, schema: 'docs' });
    expect(await again.getDocument('t1', 'upsert.md')).toMatchObject({ contentHash: 'sha256:bbb' });
  });
});
