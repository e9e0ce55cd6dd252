// The built-in model catalogue per provider, as the reference lists them at
// a7d105bd6: what each kind of credential serves unless config narrows it.

export interface CatalogueModel {
  id: string;
  displayName?: string;
  ownedBy: string;
  contextLength?: number;
  maxOutputTokens?: number;
}

const claude = (id: string, displayName: string): CatalogueModel => ({ id, displayName, ownedBy: 'anthropic', contextLength: 200_000, maxOutputTokens: 64_000 });

export const CLAUDE_MODELS: CatalogueModel[] = [
  claude('claude-haiku-4-5-20251001', 'Claude 4.5 Haiku'),
  claude('claude-sonnet-4-5-20250929', 'Claude 4.5 Sonnet'),
  claude('claude-opus-4-1-20250805', 'Claude 4.1 Opus'),
  claude('claude-opus-4-20250514', 'Claude 4 Opus'),
  claude('claude-sonnet-4-20250514', 'Claude 4 Sonnet'),
  claude('claude-3-7-sonnet-20250219', 'Claude 3.7 Sonnet'),
  claude('claude-3-5-haiku-20241022', 'Claude 3.5 Haiku'),
];

const gemini = (id: string, displayName: string, maxOutputTokens = 65_536): CatalogueModel => ({ id, displayName, ownedBy: 'google', contextLength: 1_048_576, maxOutputTokens });

const GEMINI_BASE: CatalogueModel[] = [
  gemini('gemini-2.5-flash', 'Gemini 2.5 Flash'),
  gemini('gemini-2.5-pro', 'Gemini 2.5 Pro'),
  gemini('gemini-2.5-flash-lite', 'Gemini 2.5 Flash Lite'),
];

export const GEMINI_MODELS: CatalogueModel[] = GEMINI_BASE;
export const GEMINI_CLI_MODELS: CatalogueModel[] = [...GEMINI_BASE, gemini('gemini-3-pro-preview-11-2025', 'Gemini 3 Pro Preview')];
export const AISTUDIO_MODELS: CatalogueModel[] = [
  ...GEMINI_BASE,
  gemini('gemini-pro-latest', 'Gemini Pro Latest'),
  gemini('gemini-flash-latest', 'Gemini Flash Latest'),
  gemini('gemini-flash-lite-latest', 'Gemini Flash-Lite Latest'),
  gemini('gemini-2.5-flash-image-preview', 'Gemini 2.5 Flash Image Preview', 8192),
  gemini('gemini-2.5-flash-image', 'Gemini 2.5 Flash Image', 8192),
];

const gpt = (id: string, displayName: string, contextLength = 400_000, maxOutputTokens = 128_000): CatalogueModel => ({ id, displayName, ownedBy: 'openai', contextLength, maxOutputTokens });

export const CODEX_MODELS: CatalogueModel[] = [
  gpt('gpt-5', 'GPT 5'),
  gpt('gpt-5-minimal', 'GPT 5 Minimal'),
  gpt('gpt-5-low', 'GPT 5 Low'),
  gpt('gpt-5-medium', 'GPT 5 Medium'),
  gpt('gpt-5-high', 'GPT 5 High'),
  gpt('gpt-5-codex', 'GPT 5 Codex'),
  gpt('gpt-5-codex-low', 'GPT 5 Codex Low'),
  gpt('gpt-5-codex-medium', 'GPT 5 Codex Medium'),
  gpt('gpt-5-codex-high', 'GPT 5 Codex High'),
  gpt('codex-mini-latest', 'Codex Mini', 4096, 2048),
];

export const QWEN_MODELS: CatalogueModel[] = [
  { id: 'qwen3-coder-plus', displayName: 'Qwen3 Coder Plus', ownedBy: 'qwen', contextLength: 32_768, maxOutputTokens: 8192 },
  { id: 'qwen3-coder-flash', displayName: 'Qwen3 Coder Flash', ownedBy: 'qwen', contextLength: 8192, maxOutputTokens: 2048 },
  { id: 'vision-model', displayName: 'Qwen3 Vision Model', ownedBy: 'qwen', contextLength: 32_768, maxOutputTokens: 2048 },
];

export const IFLOW_MODELS: CatalogueModel[] = [
  'tstars2.0', 'qwen3-coder-plus', 'qwen3-coder', 'qwen3-max', 'qwen3-vl-plus', 'qwen3-max-preview', 'kimi-k2-0905', 'glm-4.6',
  'kimi-k2', 'deepseek-v3.2', 'deepseek-v3.1', 'deepseek-r1', 'deepseek-v3', 'qwen3-32b', 'qwen3-235b-a22b-thinking-2507',
  'qwen3-235b-a22b-instruct', 'qwen3-235b', 'minimax-m2',
].map((id) => ({ id, ownedBy: 'iflow' }));
