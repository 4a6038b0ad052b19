/**
 * The bench's model server: the kit's fake Ollama (Ollama's real wire protocol) with the latencies of
 * a profile and answers built from the prompt (bench/lib/model-profile.ts). Runs on its own:
 *
 *   npx tsx bench/model-server.ts --profile tinyllama        # or zero, or --ttft-ms N --token-ms N
 *
 * prints `{"url": …}` once listening, and takes `{"ttftMs": N, "tokenDelayMs": N}` lines on stdin to
 * change its latencies while running (answering `{"applied": …}`).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startFakeOllama, type FakeOllamaOptions } from '@sutazai/agent-kit/testing';
import { MODEL_PROFILES, respond, type ModelProfileName } from './lib/model-profile.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'zero' },
    'ttft-ms': { type: 'string' },
    'token-ms': { type: 'string' },
    model: { type: 'string', default: 'tinyllama' },
    // Set by the bench, which talks to this process over stdin: when the bench is gone, so is this.
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const profileName = values.profile as ModelProfileName;
const profile = MODEL_PROFILES[profileName];
if (!profile) {
  process.stderr.write(`--profile must be one of ${Object.keys(MODEL_PROFILES).join(', ')}\n`);
  process.exit(2);
}

// The fake reads these per request, so changing them later changes the next request's latencies.
const opts: FakeOllamaOptions = {
  models: [values.model, 'nomic-embed-text'],
  ttftMs: values['ttft-ms'] === undefined ? profile.ttftMs : Number(values['ttft-ms']),
  tokenDelayMs: values['token-ms'] === undefined ? profile.tokenDelayMs : Number(values['token-ms']),
  respond,
  loadedOnStart: true,
};
const server = await startFakeOllama(opts);
process.stdout.write(
  `${JSON.stringify({ url: server.url, ttftMs: opts.ttftMs, tokenDelayMs: opts.tokenDelayMs })}\n`,
);

const control = createInterface({ input: process.stdin });
control.on('line', (line) => {
  try {
    const msg = JSON.parse(line) as { ttftMs?: unknown; tokenDelayMs?: unknown };
    if (typeof msg.ttftMs === 'number') opts.ttftMs = msg.ttftMs;
    if (typeof msg.tokenDelayMs === 'number') opts.tokenDelayMs = msg.tokenDelayMs;
    process.stdout.write(
      `${JSON.stringify({ applied: { ttftMs: opts.ttftMs, tokenDelayMs: opts.tokenDelayMs } })}\n`,
    );
  } catch {
    process.stdout.write(`${JSON.stringify({ error: 'expected {"ttftMs": N, "tokenDelayMs": N}' })}\n`);
  }
});
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['exit-with-stdin']) control.on('close', stop);
