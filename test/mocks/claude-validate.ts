// Request validation of the mock Anthropic Messages API (claude-upstream.ts),
// following the real API's rules and error texts, thinking included: a
// thinking block must carry a signature the mock issued ("Invalid signature in
// thinking block" otherwise), and with thinking on, the assistant turn of an
// open tool loop must start with a thinking block.

/** The signature the mock's thinking answers carry; the only one it accepts back. */
export const CLAUDE_MOCK_SIGNATURE = 'sig-mock-1';
const ISSUED_SIGNATURES = new Set<unknown>([CLAUDE_MOCK_SIGNATURE]);

/** The final assistant turn when the conversation ends in its tool results. */
function openToolLoop(msgs: any[]): { at: number; content: any[] } | undefined {
  const last = msgs[msgs.length - 1];
  const prev = msgs[msgs.length - 2];
  if (last?.role !== 'user' || prev?.role !== 'assistant' || !Array.isArray(prev.content) || !Array.isArray(last.content)) return undefined;
  if (!prev.content.some((b: any) => b?.type === 'tool_use') || !last.content.some((b: any) => b?.type === 'tool_result')) return undefined;
  return { at: msgs.length - 2, content: prev.content };
}

const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'metadata',
  'stop_sequences',
  'stream',
  'system',
  'temperature',
  'tool_choice',
  'tools',
  'top_k',
  'top_p',
  'thinking',
  'container',
  'mcp_servers',
  'service_tier',
  'context_management',
  'output_format',
  'output_config',
]);
const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers', 'context_management', 'output_format', 'output_config']);


/** Validates a Messages (or count_tokens) body the way the real API does; returns an error message or null. */
export function validate(body: any, countOnly: boolean): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Error parsing request body: expected a JSON object';
  for (const k of Object.keys(body)) if (!(countOnly ? COUNT_FIELDS : KNOWN_FIELDS).has(k)) return `${k}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
  if (!countOnly) {
    if (body.max_tokens === undefined) return 'max_tokens: Field required';
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Input should be a valid integer greater than or equal to 1';
  }
  if (!Array.isArray(body.messages)) return body.messages === undefined ? 'messages: Field required' : 'messages: Input should be a valid list';
  if (body.messages.length === 0) return 'messages: at least one message is required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid string';
  if (Array.isArray(body.system)) {
    for (let i = 0; i < body.system.length; i++) {
      const b = body.system[i];
      if (b?.type !== 'text' || typeof b.text !== 'string') return `system.${i}: Input tag '${b?.type}' found using 'type' does not match any of the expected tags: 'text'`;
      if (!b.text) return 'system: text content blocks must be non-empty';
    }
  }
  const msgs: any[] = body.messages;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    if (!m || typeof m !== 'object') return `messages.${i}: Input should be a valid dictionary`;
    if (m.role === 'system')
      return `messages.${i}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`;
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const final = i === msgs.length - 1 && m.role === 'assistant';
    if (typeof m.content === 'string') {
      if (!m.content && !final) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      continue;
    }
    if (!Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
    if (m.content.length === 0 && !final) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j];
      if (!b || typeof b.type !== 'string') return `messages.${i}.content.${j}: Input should be a valid dictionary or object to extract fields from`;
      if (b.type === 'text' && (typeof b.text !== 'string' || b.text === '')) return 'messages: text content blocks must be non-empty';
      if (b.type === 'tool_use' && m.role !== 'assistant') return `messages.${i}.content.${j}: \`tool_use\` blocks can only be in \`assistant\` messages`;
      if (b.type === 'tool_result' && m.role !== 'user') return `messages.${i}.content.${j}: \`tool_result\` blocks can only be in \`user\` messages`;
      if (b.type === 'tool_use' && (typeof b.id !== 'string' || typeof b.name !== 'string' || !b.input || typeof b.input !== 'object'))
        return `messages.${i}.content.${j}.tool_use: id, name and input are required`;
      if ((b.type === 'thinking' || b.type === 'redacted_thinking') && m.role !== 'assistant')
        return `messages.${i}.content.${j}: \`${b.type}\` blocks can only be in \`assistant\` messages`;
      if (b.type === 'thinking' && typeof b.signature !== 'string') return `messages.${i}.content.${j}.thinking.signature: Field required`;
      // Claude verifies each signature cryptographically; the mock knows the ones it issued.
      if (b.type === 'thinking' && !ISSUED_SIGNATURES.has(b.signature)) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  // tool_use ↔ tool_result pairing across adjacent messages.
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    if (m.role === 'assistant' && Array.isArray(m.content)) {
      const ids = m.content.filter((b: any) => b.type === 'tool_use').map((b: any) => b.id as string);
      if (!ids.length) continue;
      const next = msgs[i + 1];
      const answered = new Set(
        next?.role === 'user' && Array.isArray(next.content) ? next.content.filter((b: any) => b.type === 'tool_result').map((b: any) => b.tool_use_id) : [],
      );
      const missing = ids.filter((id: string) => !answered.has(id));
      if (missing.length)
        return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    if (m.role === 'user' && Array.isArray(m.content)) {
      const prev = msgs[i - 1];
      const used = new Set(
        prev?.role === 'assistant' && Array.isArray(prev.content) ? prev.content.filter((b: any) => b.type === 'tool_use').map((b: any) => b.id) : [],
      );
      for (let j = 0; j < m.content.length; j++) {
        const b = m.content[j];
        if (b.type === 'tool_result' && !used.has(b.tool_use_id))
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (let i = 0; i < body.tools.length; i++) {
      const t = body.tools[i];
      if (t?.type !== undefined && t.type !== 'custom') continue; // server tools (web_search_…, bash_…) have their own shapes
      if (typeof t?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (!t.input_schema || typeof t.input_schema !== 'object') return `tools.${i}.custom.input_schema: Field required`;
      if (t.input_schema.type !== 'object') return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
    }
  }
  const th = body.thinking;
  const loop = openToolLoop(msgs);
  if (loop && (th?.type === 'enabled' || th?.type === 'adaptive')) {
    const first = loop.content[0]?.type;
    if (first !== 'thinking' && first !== 'redacted_thinking')
      return `messages.${loop.at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
  }
  if (th !== undefined) {
    if (!th || (th.type !== 'enabled' && th.type !== 'disabled' && th.type !== 'adaptive'))
      return "thinking: Input tag found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'";
    if (th.type === 'enabled') {
      if (!Number.isInteger(th.budget_tokens)) return 'thinking.enabled.budget_tokens: Field required';
      if (th.budget_tokens < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
      if (!countOnly && body.max_tokens <= th.budget_tokens) return '`max_tokens` must be greater than `thinking.budget_tokens`';
      if (body.temperature !== undefined && body.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking';
    }
  }
  return null;
}

