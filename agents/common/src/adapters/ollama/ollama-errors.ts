import { AgentError, isAgentError } from '../../contract/errors.js';

/**
 * The error for a call the caller aborted: the signal's reason decides between `deadline_exceeded`
 * (an AgentError of that code, or a `TimeoutError` from `AbortSignal.timeout`) and `cancelled`.
 */
export function abortError(reason: unknown): AgentError {
  if (isAgentError(reason) && reason.code === 'deadline_exceeded') {
    return new AgentError('deadline_exceeded', { detail: reason.message, cause: reason });
  }
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new AgentError('deadline_exceeded', { detail: 'model call exceeded its deadline', cause: reason });
  }
  const detail =
    isAgentError(reason) && reason.code === 'cancelled' ? reason.message : 'model call cancelled';
  return new AgentError('cancelled', { detail, cause: reason });
}

/** The message of an Ollama error body (`{"error": "..."}`), or the raw text when it is not one. */
export function errorBodyMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'string'
    ) {
      return parsed.error;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 500) || '(empty body)';
}

/** True for statuses that mean "busy, come back later": worth a retry with backoff. */
export function isBusyStatus(status: number): boolean {
  return status === 503 || status === 429;
}

/** Maps a non-2xx answer from Ollama to the kit's error. */
export function statusError(status: number, message: string, details: Record<string, unknown>): AgentError {
  const all = { ...details, status, ollama_error: message };
  if (status === 404) {
    // The model is not pulled: retrying cannot help until an operator pulls it.
    return new AgentError('model_unavailable', {
      detail: `Ollama: ${message}`,
      retryable: false,
      details: all,
    });
  }
  if (isBusyStatus(status)) {
    return new AgentError('model_unavailable', {
      detail: `Ollama is busy (HTTP ${status}): ${message}`,
      details: all,
    });
  }
  return new AgentError('model_error', {
    detail: `Ollama answered HTTP ${status}: ${message}`,
    retryable: status >= 500,
    details: all,
  });
}

/** Maps a network failure (connection refused, reset, DNS, dropped stream) to `model_unavailable`. */
export function networkError(err: unknown, what: string, details: Record<string, unknown>): AgentError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new AgentError('model_unavailable', {
    detail: `${what}: ${code ?? message}`,
    details: { ...details, ...(code ? { errno: code } : {}) },
    cause: err,
  });
}
