// GET /: a small hello so people (and probes such as Claude Code's HEAD /) see a live gateway.
import type { Exchange } from '../server/exchange.js';

const ENDPOINTS = [
  'GET /v1/models',
  'POST /v1/chat/completions',
  'POST /v1/completions',
  'POST /v1/messages',
  'POST /v1/messages/count_tokens',
  'POST /v1/responses',
  'GET /v1beta/models',
  'POST /v1beta/models/{model}:generateContent',
  'POST /v1beta/models/{model}:streamGenerateContent',
  'POST /v1beta/models/{model}:countTokens',
  'POST /v1internal:{method}',
];

export function hello(ex: Exchange): void {
  ex.json(200, { message: 'cliproxy-ts API gateway', endpoints: ENDPOINTS });
}
