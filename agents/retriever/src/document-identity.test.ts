import { describe, expect, it } from 'vitest';
import { defaultDocumentId, documentContentHash, vectorSpaceName } from './document-identity.js';

describe('document identity', () => {
  it('derives a stable default id per tenant and source', () => {
    const id = defaultDocumentId('acme', 'docs/a.md');
    expect(id).toBe(defaultDocumentId('acme', 'docs/a.md'));
    expect(id).toMatch(/^doc-[0-9a-f]{16}$/);
    expect(defaultDocumentId('acme', 'docs/b.md')).not.toBe(id);
    expect(defaultDocumentId('globex', 'docs/a.md')).not.toBe(id);
    // The separator keeps (tenant, source) pairs that concatenate alike apart.
    expect(defaultDocumentId('ab', 'c')).not.toBe(defaultDocumentId('a', 'bc'));
  });

  it('fingerprints everything that decides the stored chunks and vectors', () => {
    const doc = { source: 'a.md', text: 'Some text.' };
    const base = documentContentHash('hashing-v1-384', doc);
    expect(documentContentHash('hashing-v1-384', { ...doc })).toBe(base);
    const variants = [
      documentContentHash('ollama:nomic-embed-text', doc),
      documentContentHash('hashing-v1-384', { ...doc, text: 'Other text.' }),
      documentContentHash('hashing-v1-384', { ...doc, source: 'b.md' }),
      documentContentHash('hashing-v1-384', { ...doc, content_type: 'text/plain' }),
      documentContentHash('hashing-v1-384', { ...doc, metadata: { team: 'ops' } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(documentContentHash('e', { ...doc, metadata: { a: '1', b: '2' } })).toBe(
      documentContentHash('e', { ...doc, metadata: { b: '2', a: '1' } }),
    );
  });

  it('names one vector space per embedder, as a valid table and collection name', () => {
    const names = ['hashing-v1-384', 'ollama:nomic-embed-text', 'ollama:all-minilm', 'ollama:All-MiniLM'];
    const spaces = names.map(vectorSpaceName);
    expect(new Set(spaces).size).toBe(names.length);
    for (const space of spaces) expect(space).toMatch(/^[a-z_][a-z0-9_]{0,39}$/);
    expect(vectorSpaceName('hashing-v1-384')).toMatch(/^chunks_hashing_v1_384_[0-9a-f]{8}$/);
    expect(vectorSpaceName(`ollama:${'very-long-model-name/'.repeat(10)}`).length).toBeLessThanOrEqual(40);
  });
});
