// GET /: a small hello so people (and probes such as Claude Code's HEAD /) see a live gateway.
import type { Exchange } from '../server/exchange.js';

const ENDPOINTS = [
  'GET /v1/models',
  'POST /v1/chat/completions',
];

export function hello(ex: Exchange): void {
  ex.json(200, { message: 'cliproxy-ts API gateway', endpoints: ENDPOINTS });
}
