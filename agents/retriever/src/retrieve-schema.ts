import { Passage } from '@sutazai/agent-kit';
import { z } from 'zod';

/** Largest document text accepted by `retrieve.ingest`, in UTF-8 bytes. */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
/** Most documents one `retrieve.ingest` job may carry. */
export const MAX_DOCUMENTS_PER_INGEST = 100;
/** Default number of passages `retrieve.search` returns. */
export const DEFAULT_TOP_K = 5;

/**
 * A document id: it becomes the prefix of every chunk id (`<id>#<ordinal>`), and chunk ids are
 * cited in brackets inside answer text, so no whitespace, brackets or `#`.
 */
export const DocumentId = z
  .string()
  .regex(/^[A-Za-z0-9._:/@+~-]{1,200}$/, 'a document id is 1-200 chars of [A-Za-z0-9._:/@+~-]')
  .describe('Document id; chunk ids are `<document_id>#<ordinal>`.');

/** One document to ingest. */
export const IngestDocument = z
  .object({
    id: DocumentId.optional().describe(
      'Document id; absent: a stable hash of tenant and source, so re-ingesting a source replaces it.',
    ),
    source: z.string().trim().min(1).max(1024).describe('Where the document came from; shown in citations.'),
    text: z
      .string()
      .refine((t) => t.trim() !== '', 'text must contain something besides whitespace')
      .refine(
        (t) => Buffer.byteLength(t, 'utf8') <= MAX_DOCUMENT_BYTES,
        `text must be at most ${MAX_DOCUMENT_BYTES} bytes (UTF-8)`,
      ),
    content_type: z
      .enum(['text/markdown', 'text/plain'])
      .optional()
      .describe('Absent: Markdown when the source ends in .md, .markdown or .mdx, plain text otherwise.'),
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(1024))
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata entries')
      .optional()
      .describe('Copied onto every chunk of the document.'),
  })
  .strict();
export type IngestDocument = z.infer<typeof IngestDocument>;

/** Input of `retrieve.ingest`. */
export const IngestInput = z
  .object({
    documents: z.array(IngestDocument).min(1).max(MAX_DOCUMENTS_PER_INGEST),
  })
  .strict()
  .superRefine((input, ctx) => {
    // Two entries for one document in one job would race for its chunks: say so instead.
    const seen = new Map<string, number>();
    input.documents.forEach((doc, i) => {
      const key = doc.id === undefined ? `source:${doc.source}` : `id:${doc.id}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: ['documents', i],
        message: `same document as documents[${first}] (${doc.id === undefined ? 'source' : 'id'} repeated)`,
      });
    });
  });
export type IngestInput = z.infer<typeof IngestInput>;

/** What happened to one ingested document. */
export const IngestedDocument = z.object({
  document_id: z.string(),
  source: z.string(),
  chunks: z.number().int().min(0),
  /** True when the document was already stored with the same content and embedder, so nothing was re-embedded. */
  unchanged: z.boolean(),
});
export type IngestedDocument = z.infer<typeof IngestedDocument>;

/** Output of `retrieve.ingest`. */
export const IngestOutput = z.object({
  documents: z.array(IngestedDocument),
  chunks_total: z.number().int().min(0),
  embedder: z.string(),
  store: z.string(),
});
export type IngestOutput = z.infer<typeof IngestOutput>;

/** Input of `retrieve.search`. */
export const SearchInput = z
  .object({
    query: z.string().min(1).max(4000),
    top_k: z.number().int().min(1).max(50).default(DEFAULT_TOP_K),
    document_ids: z
      .array(DocumentId)
      .max(1000)
      .optional()
      .describe('Only passages of these documents; [] matches nothing, absent matches all.'),
  })
  .strict();
export type SearchInput = z.infer<typeof SearchInput>;

export { Passage };

/** Output of `retrieve.search`. */
export const SearchOutput = z.object({
  passages: z.array(Passage),
  embedder: z.string(),
  store: z.string(),
});
export type SearchOutput = z.infer<typeof SearchOutput>;
