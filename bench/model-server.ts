/**
 * The bench's model server: the kit's fake Ollama (Ollama's real wire protocol) with the latencies of
 * a profile and answers built from the prompt (bench/lib/model-profile.ts). Runs on its own:
 *
 *   npx tsx bench/model-server.ts --profile tinyllama        # or zero, or --ttft-ms N --token-ms N
 *
 * prints `{"url": …}` once listening, and takes `{"ttftMs": N, "tokenDelayMs": N}` lines on stdin to
 * change its latencies while running (answering `{"applied": …}`).
 */
import { syncBuiltinESMExports } from 'node:module';
import { createInterface } from 'node:readline';
import timers from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startFakeOllama, type FakeOllamaOptions } from '@sutazai/agent-kit/testing';
import { MODEL_PROFILES, respond, type ModelProfileName } from './lib/model-profile.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'zero' },
    'ttft-ms': { type: 'string' },
    'token-ms': { type: 'string' },
    model: { type: 'string', default: 'tinyllama' },
  },
});
const profileName = values.profile as ModelProfileName;
const profile = MODEL_PROFILES[profileName];
if (!profile) {
  process.stderr.write(`--profile must be one of ${Object.keys(MODEL_PROFILES).join(', ')}\n`);
  process.exit(2);
}
// Node runs a 0 ms timer after 1 ms at the soonest, so the fake's wait between tokens would cost
// 1 ms a token even at zero latency — 60 ms an answer that the platform never spent. Zero waits
// resolve at once here (the fake's `sleep` is the live ESM binding of this builtin export).
const timerSleep = timers.setTimeout;
timers.setTimeout = ((ms?: number, value?: unknown, options?: { signal?: AbortSignal }) =>
  ms ? timerSleep(ms, value, options) : Promise.resolve(value)) as typeof timers.setTimeout;
syncBuiltinESMExports();

// The fake reads these per request, so changing them later changes the next request's latencies.
const opts: FakeOllamaOptions = {
  models: [values.model, 'nomic-embed-text'],
  ttftMs: values['ttft-ms'] === undefined ? profile.ttftMs : Number(values['ttft-ms']),
  tokenDelayMs: values['token-ms'] === undefined ? profile.tokenDelayMs : Number(values['token-ms']),
  respond,
  loadedOnStart: true,
};
const server = await startFakeOllama(opts);
process.stdout.write(`${JSON.stringify({ url: server.url, ttftMs: opts.ttftMs, tokenDelayMs: opts.tokenDelayMs })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const msg = JSON.parse(line) as { ttftMs?: unknown; tokenDelayMs?: unknown };
    if (typeof msg.ttftMs === 'number') opts.ttftMs = msg.ttftMs;
    if (typeof msg.tokenDelayMs === 'number') opts.tokenDelayMs = msg.tokenDelayMs;
    process.stdout.write(`${JSON.stringify({ applied: { ttftMs: opts.ttftMs, tokenDelayMs: opts.tokenDelayMs } })}\n`);
  } catch {
    process.stdout.write(`${JSON.stringify({ error: 'expected {"ttftMs": N, "tokenDelayMs": N}' })}\n`);
  }
});
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
