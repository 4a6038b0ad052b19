import { createHash } from 'node:crypto';
import { canonicalJson } from '@sutazai/agent-kit';
import type { IngestDocument } from './retrieve-schema.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The id of a document sent without one: `doc-` and a sha256 prefix of tenant and source, so the
 * same source ingested again replaces its earlier version. 64 bits keep collisions out of reach for
 * any realistic number of documents per tenant.
 */
export function defaultDocumentId(tenantId: string, source: string): string {
  return `doc-${sha256(`${tenantId}\u0000${source}`).slice(0, 16)}`;
}

// Bumped when what the hash covers changes, so earlier records never match by accident.
const CONTENT_HASH_VERSION = 1;

/**
 * Fingerprint of everything that decides a document's stored chunks and vectors: the embedder (its
 * name names the vector space), source, content type, metadata and text. Equal fingerprints mean
 * re-ingesting may skip embedding.
 */
export function documentContentHash(embedderName: string, doc: IngestDocument): string {
  return sha256(
    canonicalJson({
      v: CONTENT_HASH_VERSION,
      embedder: embedderName,
      source: doc.source,
      content_type: doc.content_type ?? null,
      metadata: doc.metadata ?? null,
      text: doc.text,
    }),
  );
}

/**
 * The name of the table (PGlite) or collection (Qdrant) holding one embedder's vectors. Vectors of
 * different embedders must never be compared, even when their dimensions agree (the built-in
 * embedder and all-minilm are both 384-dimensional), so each embedder gets its own; the readable part
 * helps an operator, the hash keeps distinct names distinct.
 */
export function vectorSpaceName(embedderName: string): string {
  const slug = embedderName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 24);
  return `chunks_${slug}_${sha256(embedderName).slice(0, 8)}`;
}
