// What to try when a quota runs out, before rotating to another account
// (quota-exceeded in config): Gemini's preview variants of a model.

/** Preview models that share a model's capabilities but not its quota (as the reference lists them). */
const PREVIEW_FALLBACKS: Record<string, string[]> = {
  'gemini-2.5-pro': ['gemini-2.5-pro-preview-06-05'],
};

export function previewFallbacks(model: string): string[] {
  return PREVIEW_FALLBACKS[model] ?? [];
}
