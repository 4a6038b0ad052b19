import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentError, toAgentError } from '../contract/errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../contract/problem.js';
import type { AgentMetrics } from '../observability/metrics.js';

/** Fastify's own error codes mapped to our catalogue, so framework errors speak our contract. */
const FASTIFY_CODES: Record<string, AgentError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
};

function asAgentError(err: FastifyError | Error): AgentError {
  if (err instanceof AgentError) return err;
  const code = 'code' in err && typeof err.code === 'string' ? FASTIFY_CODES[err.code] : undefined;
  if (code) return new AgentError(code, { detail: err.message, cause: err });
  if (err instanceof SyntaxError) return new AgentError('invalid_json', { detail: err.message, cause: err });
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500)
    return new AgentError('bad_request', { detail: err.message, cause: err });
  return toAgentError(err);
}

/** Sends an AgentError as problem+json: the one place errors become HTTP responses. */
export function sendProblem(req: FastifyRequest, reply: FastifyReply, err: AgentError): FastifyReply {
  if (err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
  return reply
    .code(err.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(err, req.trace.traceId, req.url.split('?')[0]));
}

/** Installs the error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance, metrics: AgentMetrics): void {
  app.setErrorHandler((error: FastifyError | Error, req, reply) => {
    const err = asAgentError(error);
    metrics.error(err.code);
    if (err.status >= 500 && err.code !== 'queue_full' && err.code !== 'shutting_down') {
      req.log.error({ err: error, code: err.code }, 'request failed');
    } else {
      req.log.info({ code: err.code, status: err.status }, 'request rejected');
    }
    return sendProblem(req, reply, err);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(
      req,
      reply,
      new AgentError('not_found', { detail: `no route ${req.method} ${req.url.split('?')[0]}` }),
    ),
  );
}
