import type { ComponentKind, Factory } from './api.js';
import { compileSchema } from './config/schema.js';

export const COMPONENT_TYPE = /^[a-z][a-z0-9_]*$/;
const KINDS: readonly ComponentKind[] = ['receiver', 'processor', 'exporter'];
const STABILITIES = ['development', 'alpha', 'beta', 'stable', 'deprecated'];

interface Entry {
  readonly factory: Factory;
  /** 'built-in' or the plugin specifier it came from. */
  readonly origin: string;
}

/** Problems with a value that claims to be a Factory; empty when it is a valid one. */
export function checkFactory(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['is not an object'];
  const factory = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!KINDS.includes(factory.kind as ComponentKind)) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  if (typeof factory.type !== 'string' || !COMPONENT_TYPE.test(factory.type)) problems.push('type must be lower_snake_case');
  if (!STABILITIES.includes(factory.stability as string)) problems.push(`stability must be one of ${STABILITIES.join(', ')}`);
  if (typeof factory.description !== 'string') problems.push('description must be a string');
  if (typeof factory.createDefaultConfig !== 'function') problems.push('createDefaultConfig must be a function');
  if (typeof factory.create !== 'function') problems.push('create must be a function');
  if (typeof factory.configSchema !== 'object' || factory.configSchema === null) problems.push('configSchema must be a JSON schema object');
  else {
    try {
      compileSchema(factory.configSchema as Record<string, unknown>);
    } catch (error) {
      problems.push(`configSchema is not a valid JSON schema: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** The factories the host can build components from, one per (kind, type). */
export class Registry {
  private readonly entries = new Map<string, Entry>();

  /** Adds a factory; throws when it is invalid or its (kind, type) is taken. */
  register(factory: Factory, origin = 'built-in'): void {
    const problems = checkFactory(factory);
    if (problems.length > 0) throw new Error(`invalid factory from ${origin}: ${problems.join('; ')}`);
    const key = `${factory.kind}:${factory.type}`;
    const existing = this.entries.get(key);
    if (existing) {
      throw new Error(`${factory.kind} type "${factory.type}" from ${origin} is already registered by ${existing.origin}`);
    }
    this.entries.set(key, { factory, origin });
  }

  get(kind: ComponentKind, type: string): Factory | undefined {
    return this.entries.get(`${kind}:${type}`)?.factory;
  }

  originOf(kind: ComponentKind, type: string): string | undefined {
    return this.entries.get(`${kind}:${type}`)?.origin;
  }

  typesOf(kind: ComponentKind): string[] {
    return this.list().filter((f) => f.kind === kind).map((f) => f.type);
  }

  /** Every factory, ordered by kind (receivers, processors, exporters) then type. */
  list(): Factory[] {
    return [...this.entries.values()]
      .map((entry) => entry.factory)
      .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || a.type.localeCompare(b.type));
  }

  /** A copy to which a config's third-party plugins can be added without touching this one. */
  clone(): Registry {
    const copy = new Registry();
    for (const [key, entry] of this.entries) copy.entries.set(key, entry);
    return copy;
  }
}
