import { ConfigError, runAgent } from '@sutazai/agent-kit';
import { RETRIEVER, buildRetriever } from './agent.js';
import { readEmbedDimensions } from './embedder-from-config.js';

try {
  const embedDimensions = readEmbedDimensions(process.env);
  await runAgent(RETRIEVER, (rt) =>
    buildRetriever(rt, embedDimensions === undefined ? {} : { embedDimensions }),
  );
} catch (err) {
  // Same exit as the kit's own config check: one line naming the variable, status 78 (EX_CONFIG).
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(78);
}
