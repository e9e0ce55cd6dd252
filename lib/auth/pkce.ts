// PKCE (RFC 7636, S256) and the random `state` every authorization-code
// login checks on the way back.
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** A verifier of `bytes` random bytes (96 → 128 characters, the longest allowed) and its S256 challenge. */
export function createPkce(bytes = 96): Pkce {
  const verifier = randomBytes(bytes).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function randomState(): string {
  return randomBytes(16).toString('hex');
}
