// The HTTP scaffolding every mock upstream shares: read and JSON-parse the
// body, record the request (and whether its socket closed before the answer
// finished), then hand it to the mock's own handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Resolves when the request's socket closes (client went away or we ended). */
  closed: Promise<void>;
  closedEarly: boolean;
}

export interface RecordingServer {
  server: http.Server;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type MockHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: any) => void;

export async function startRecordingServer(handle: MockHandler): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = undefined;
      }
      let markClosed!: () => void;
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        closed: new Promise((r) => (markClosed = r)),
        closedEarly: false,
      };
      res.on('close', () => {
        if (!res.writableFinished) rec.closedEarly = true;
        markClosed();
      });
      requests.push(rec);
      handle(req, res, body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
