// The one test for "a JSON object" (not null, not an array) that every codec,
// and the lib/ code reading client JSON, narrows with.
export type JsonObject = Record<string, unknown>;

export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
