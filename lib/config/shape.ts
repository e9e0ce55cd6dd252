// The typed Config back in its YAML shape (kebab-case keys, as the file and
// the management API spell them), driven by the same schema the loader uses.
import { clientKeysYaml } from '../access/key-config.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import type { Schema } from './validate.js';

export function toYamlShape(value: unknown, schema: Schema = configSchema): unknown {
  switch (schema.kind) {
    case 'object': {
      if (value === null || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [yamlKey, field] of Object.entries(schema.fields)) {
        const v = (value as Record<string, unknown>)[field.key];
        if (v !== undefined && v !== null) out[yamlKey] = toYamlShape(v, field.schema);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => toYamlShape(v, schema.of)) : value;
    case 'stringList':
      return Array.isArray(value) ? [...value] : value;
    case 'stringMap':
      return value && typeof value === 'object' ? { ...(value as Record<string, string>) } : value;
    default:
      return value;
  }
}

/** The config as YAML-shaped JSON (kebab-case), e.g. for GET /config. */
export function configToYaml(config: Config): Record<string, unknown> {
  const out = toYamlShape(config) as Record<string, unknown>;
  // api-keys entries with settings are objects in the file: show them so.
  if (config.apiKeySettings?.length) out['api-keys'] = clientKeysYaml(config.apiKeys, config.apiKeySettings);
  return out;
}

/** The schema of one top-level YAML key (e.g. 'claude-api-key'). */
export function sectionSchema(key: string): Schema | undefined {
  return configSchema.kind === 'object' ? configSchema.fields[key]?.schema : undefined;
}
