// Executor lookup by provider kind.
import type { ProviderKind } from '../routing/credentials.js';
import type { ProviderExecutor } from './executor.js';
import { aistudioExecutor } from './aistudio/executor.js';
import { claudeExecutor } from './claude/executor.js';
import { codexExecutor } from './codex/executor.js';
import { geminiExecutor } from './gemini/executor.js';
import { geminiCliExecutor } from './gemini-cli/executor.js';
import { iflowExecutor } from './iflow/executor.js';
import { qwenExecutor } from './qwen/executor.js';
import { openaiCompatExecutor } from './openai-compat/executor.js';

const executors: Partial<Record<ProviderKind, ProviderExecutor>> = {
  'openai-compat': openaiCompatExecutor,
  claude: claudeExecutor,
  gemini: geminiExecutor,
  codex: codexExecutor,
  aistudio: aistudioExecutor,
  'gemini-cli': geminiCliExecutor,
  qwen: qwenExecutor,
  iflow: iflowExecutor,
};

export function executorFor(kind: ProviderKind): ProviderExecutor | undefined {
  return executors[kind];
}
