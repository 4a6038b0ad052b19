import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentError, PROBLEM_CONTENT_TYPE, Problem } from '@sutazai/agent-kit';
import { meshJobPath, toMeshJobId } from './mesh-id.js';

/** One proxied call to an agent. */
export interface UpstreamCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path on the agent, e.g. `/v1/jobs/<id>`. */
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}

/** What the agent answered, its JSON body parsed. */
export interface UpstreamAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Answer headers that keep their meaning through the mesh. */
const PASSED_HEADERS = ['retry-after', 'idempotent-replayed', 'preference-applied'] as const;

/**
 * The headers every forwarded call carries: the tenant, this hop's `traceparent`, and the
 * client's `Idempotency-Key` and `Prefer` exactly as sent (a missing key stays missing: keys are
 * the client's to choose, and one made up here would dedupe nothing).
 */
export function forwardHeaders(req: FastifyRequest, opts: { prefer?: string } = {}): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-tenant-id': req.tenantId,
    traceparent: req.trace.traceparent,
  };
  const key = req.headers['idempotency-key'];
  if (key !== undefined) headers['idempotency-key'] = Array.isArray(key) ? key.join(', ') : key;
  const prefer = opts.prefer ?? req.headers.prefer;
  if (prefer !== undefined) headers.prefer = Array.isArray(prefer) ? prefer.join(', ') : prefer;
  return headers;
}

/** Seconds of `Prefer: wait=N` (RFC 7240), capped at the kit's 60 s; 0 when absent. */
export function preferWaitS(prefer: string | undefined): number {
  const m = prefer === undefined ? null : /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer);
  return m?.[1] ? Math.min(Number(m[1]), 60) : 0;
}

/** A fetch failure in words, with the socket error code undici hides in `cause` (`ECONNREFUSED`, …). */
export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? `${err.message} (${cause.code})` : err.message;
}

/** Calls an agent; an unreachable or silent agent is `dependency_unavailable`. */
export async function callAgent(
  fetchFn: typeof fetch,
  agent: string,
  baseUrl: string,
  call: UpstreamCall,
): Promise<UpstreamAnswer> {
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(`${baseUrl}${call.path}`, {
      method: call.method,
      headers: {
        ...call.headers,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw new AgentError('dependency_unavailable', {
      detail: `${agent} unreachable: ${describeFetchError(err)}`,
      details: { agent },
      cause: err,
    });
  }
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown };
  } catch {
    throw new AgentError('dependency_failed', {
      detail: `${agent} answered HTTP ${res.status} without a JSON body`,
      details: { agent, status: res.status },
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A job record or acceptance with its ids made routable through the mesh. */
export function rewriteJobBody(agent: string, body: unknown): unknown {
  if (!isRecord(body) || typeof body.job_id !== 'string') return body;
  const meshId = toMeshJobId(agent, body.job_id);
  const out: Record<string, unknown> = { ...body, job_id: meshId };
  if (typeof body.location === 'string') out.location = meshJobPath(meshId);
  if (typeof body.events === 'string') out.events = meshJobPath(meshId, true);
  return out;
}

/**
 * Sends an agent's answer on as the mesh's: same status, job ids rewritten to mesh ids (and
 * `Location` to match), problems passed on with `instance` set to the mesh path.
 */
export function relayAnswer(
  req: FastifyRequest,
  reply: FastifyReply,
  agent: string,
  answer: UpstreamAnswer,
): FastifyReply {
  for (const name of PASSED_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) void reply.header(name, value);
  }
  if (answer.status >= 400) {
    const problem = Problem.safeParse(answer.body);
    if (!problem.success) {
      throw new AgentError('dependency_failed', {
        detail: `${agent} answered HTTP ${answer.status} with a body that is not a problem`,
        details: { agent, status: answer.status },
      });
    }
    return reply
      .code(answer.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ ...problem.data, instance: req.url.split('?')[0] });
  }
  const body = rewriteJobBody(agent, answer.body);
  if (answer.headers.get('location') !== null && isRecord(body) && typeof body.job_id === 'string') {
    void reply.header('location', meshJobPath(body.job_id));
  }
  return reply.code(answer.status).send(body);
}
