// The shapes of usage statistics, as GET /v0/management/usage serves them and
// /usage/export writes them (CLIProxyAPI's JSON field names, so exports move
// between the two products).
import type { IRUsage } from '../../pipelines/ir.js';

export interface TokenStats {
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

export interface RequestDetail {
  timestamp: string;
  /** Time to the end of the answer (ms); absent in older exports. */
  latency_ms?: number;
  source: string;
  /** CLIProxyAPI's credential index; kept when an import carries it. */
  auth_index?: string;
  tokens: TokenStats;
  failed: boolean;
}

export interface ModelSnapshot {
  total_requests: number;
  total_tokens: number;
  details: RequestDetail[];
}

export interface ApiSnapshot {
  total_requests: number;
  total_tokens: number;
  models: Record<string, ModelSnapshot>;
}

export interface UsageSnapshot {
  total_requests: number;
  success_count: number;
  failure_count: number;
  total_tokens: number;
  apis: Record<string, ApiSnapshot>;
  requests_by_day: Record<string, number>;
  requests_by_hour: Record<string, number>;
  tokens_by_day: Record<string, number>;
  tokens_by_hour: Record<string, number>;
}

export interface UsageEvent {
  api: string;
  model: string;
  ok: boolean;
  /** Who served it (a credential label, never a secret). */
  source?: string;
  usage?: IRUsage;
  at?: number;
  latencyMs?: number;
}

/** What an import did: details added, and those already present (skipped). */
export interface MergeResult {
  added: number;
  skipped: number;
}
