// An OpenAI-compatible upstream whose streams wait for the test: each stream
// sends its first chat.completion.chunk at once, then holds until release()
// and finishes with finish_reason "stop" and [DONE] (OpenAI's public SSE wire
// format). Lets a test keep a stream in flight across a shutdown without
// timing guesses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatedUpstream {
  url: string;
  /** Requests answered or held so far. */
  requests(): number;
  /** Streams that sent their first chunk and wait. */
  waiting(): number;
  /** Resolves once `n` streams are waiting. */
  untilWaiting(n: number): Promise<void>;
  /** Let every waiting stream (and later ones) finish. */
  release(): void;
  close(): Promise<void>;
}

const chunk = (model: string, delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-gated', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export async function startGatedUpstream(): Promise<GatedUpstream> {
  let released = false;
  const held = new Set<() => void>();
  const watchers = new Set<() => void>();
  const open = new Set<http.ServerResponse>();
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { model?: string; stream?: boolean };
      const model = body.model ?? 'gated';
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'chatcmpl-gated', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }));
        return;
      }
      open.add(res);
      res.on('close', () => open.delete(res));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk(model, { role: 'assistant', content: 'first part' }));
      const finish = () => {
        res.write(chunk(model, { content: ', second part' }));
        res.write(chunk(model, {}, 'stop'));
        res.end('data: [DONE]\n\n');
      };
      if (released) return finish();
      held.add(finish);
      res.on('close', () => held.delete(finish));
      for (const w of watchers) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => count,
    waiting: () => held.size,
    untilWaiting(n) {
      return new Promise((resolve) => {
        const check = () => {
          if (held.size >= n) {
            watchers.delete(check);
            resolve();
          }
        };
        watchers.add(check);
        check();
      });
    },
    release() {
      released = true;
      for (const f of [...held]) f();
      held.clear();
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
