// Login failures with a reason a person can act on. Messages never carry
// tokens: upstream bodies are cut down to their error fields.

export type LoginFailure = 'timeout' | 'denied' | 'state-mismatch' | 'expired' | 'port-in-use' | 'exchange' | 'account' | 'cancelled';

export class LoginError extends Error {
  constructor(
    readonly reason: LoginFailure,
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** An OAuth or account endpoint answered with an error status. */
export class OAuthHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The OAuth `error` code when the body had one (invalid_grant, …). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OAuthHttpError';
  }
}

const SECRETISH = /\b(?:[A-Za-z0-9_-]{24,}\.){0,2}[A-Za-z0-9_-]{32,}\b/g;

/** A short, secret-free summary of an error body for messages and logs. */
export function summarizeBody(text: string): { summary: string; code?: string } {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = j['error'];
    const code = typeof e === 'string' ? e : typeof (e as Record<string, unknown>)?.['type'] === 'string' ? String((e as Record<string, unknown>)['type']) : undefined;
    const desc = j['error_description'] ?? (e as Record<string, unknown>)?.['message'] ?? j['message'] ?? j['detail'];
    const summary = [code, typeof desc === 'string' ? desc : undefined].filter(Boolean).join(': ');
    if (summary) return { summary: summary.replace(SECRETISH, '***').slice(0, 300), code };
  } catch {
    // not JSON
  }
  return { summary: text.replace(SECRETISH, '***').replace(/\s+/g, ' ').trim().slice(0, 200) };
}
