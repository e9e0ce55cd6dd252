// Executor lookup by provider kind.
import type { ProviderKind } from '../routing/credentials.js';
import type { ProviderExecutor } from './executor.js';
import { openaiCompatExecutor } from './openai-compat/executor.js';

const executors: Partial<Record<ProviderKind, ProviderExecutor>> = {
  'openai-compat': openaiCompatExecutor,
};

export function executorFor(kind: ProviderKind): ProviderExecutor | undefined {
  return executors[kind];
}
