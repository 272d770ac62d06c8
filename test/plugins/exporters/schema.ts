/** Schema checks shared by the exporter factory tests. */
import type { JsonSchema } from '../../../core/api.js';

/** Every object schema (at any depth) that does not say `additionalProperties: false`, by path. */
export function openObjects(schema: JsonSchema, path = '$'): string[] {
  const open: string[] = [];
  if (schema['type'] === 'object' && schema['additionalProperties'] !== false) open.push(path);
  const properties = schema['properties'];
  if (typeof properties === 'object' && properties !== null) {
    for (const [key, child] of Object.entries(properties)) open.push(...openObjects(child as JsonSchema, `${path}.${key}`));
  }
  return open;
}

/** The `default` of each top-level property. */
export function schemaDefaults(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries((schema['properties'] ?? {}) as Record<string, JsonSchema>)) {
    if ('default' in child) out[key] = child['default'];
  }
  return out;
}
