/**
 * The HTTP ceiling: a bare Fastify app — no validation, no hooks, no logging — that parses a JSON
 * body and answers with it. Runs as its own process like an agent does; prints `{"url": …}`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/echo', async (req) => ({ status: 'succeeded', result: req.body }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The bench holds this process's stdin: when the bench is gone, so is this.
process.stdin.on('end', stop).resume();
