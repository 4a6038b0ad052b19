import { z } from 'zod';
import { AgentError, JobKindName, JobRequest } from '@sutazai/agent-kit';
import { AGENT_NAME_RE, DEFAULT_AGENT } from './config.js';

/** Body of the mesh's `POST /v1/jobs`: an agent job request that may name its agent and omit its kind. */
export const MeshJobRequest = JobRequest.extend({
  agent: z
    .string()
    .regex(AGENT_NAME_RE, 'agent must be an agent name such as orchestrator or retriever')
    .optional()
    .describe(`Agent to run the job (default ${DEFAULT_AGENT})`),
  kind: JobKindName.optional().describe("Job kind (default: the first kind in the agent's descriptor)"),
}).strict();
export type MeshJobRequest = z.infer<typeof MeshJobRequest>;

/** Body of `POST /v1/documents`: the retriever's `retrieve.ingest` input (the retriever validates each document). */
export const DocumentsRequest = z
  .object({
    documents: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .describe(
        'Documents `{ id?, source, text, content_type?, metadata? }`, as `retrieve.ingest` takes them',
      ),
    deadline_ms: z
      .number()
      .int()
      .positive()
      .max(24 * 3600 * 1000)
      .optional(),
  })
  .strict();
export type DocumentsRequest = z.infer<typeof DocumentsRequest>;

/** Parses a request body or throws `validation_failed` listing each bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new AgentError('validation_failed', {
    errors: parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message,
    })),
  });
}
