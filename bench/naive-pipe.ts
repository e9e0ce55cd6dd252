// The naive reference gateway for `npm run bench`: node:http in, undici out,
// POST /v1/chat/completions forwarded to $UPSTREAM with the request and
// response bodies piped as bytes: no parsing, no routing, no accounting. The
// bench runs it as its own process beside the gateway, under the same load.
// Run: node --import tsx bench/naive-pipe.ts (PORT, UPSTREAM=http://host:port)
import http from 'node:http';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:8080';
const dispatcher = new Agent({ keepAliveTimeout: 60_000 });

const server = http.createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: 'Bearer sk-naive' };
    if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
    const up = await request(`${upstream}/v1/chat/completions`, { method: 'POST', headers, body: req, dispatcher });
    res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
    pipeline(up.body, res, () => {});
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
