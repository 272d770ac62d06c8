import type { ComponentKind, Factory, JsonSchema } from '../api.js';
import { loadPlugins } from '../plugins.js';
import type { PluginReference } from '../plugins.js';
import { COMPONENT_TYPE } from '../registry.js';
import type { Registry } from '../registry.js';
import { ConfigError } from './issues.js';
import type { ConfigIssue } from './issues.js';
import { closest, validateAgainst } from './schema.js';
import { expandConfigPaths, locate, readSourceFile } from './source.js';
import type { SourceFile } from './source.js';

export type Section = 'receivers' | 'processors' | 'exporters';

export const SECTIONS: readonly Section[] = ['receivers', 'processors', 'exporters'];

export const SECTION_KIND: Readonly<Record<Section, ComponentKind>> = { receivers: 'receiver', processors: 'processor', exporters: 'exporter' };

/** A configured component, validated, with schema defaults applied. */
export interface ComponentSpec {
  readonly id: string;
  readonly kind: ComponentKind;
  readonly type: string;
  readonly factory: Factory;
  readonly config: unknown;
  /** The one tenant whose pipelines use this component. */
  readonly tenant: string;
  readonly file: string;
}

export interface PipelineSpec {
  readonly id: string;
  readonly tenant: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
  readonly file: string;
}

/** A whole validated configuration: what the service is built from. */
export interface ServiceConfig {
  readonly files: readonly string[];
  /** The built-in registry plus this config's third-party plugins. */
  readonly registry: Registry;
  readonly receivers: ReadonlyMap<string, ComponentSpec>;
  readonly processors: ReadonlyMap<string, ComponentSpec>;
  readonly exporters: ReadonlyMap<string, ComponentSpec>;
  readonly pipelines: ReadonlyMap<string, PipelineSpec>;
}

export interface LoadOptions {
  /** The factories available before the config's own `plugins:` are loaded. */
  registry: Registry;
  /** Environment for `${env:...}`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export const TENANT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const PIPELINE_ID = /^logs(?:\/[^\s/]+)?$/;
const COMPONENT_ID = /^([^/\s]+)(?:\/([^/\s]+))?$/;

const idList: JsonSchema = { type: 'array', items: { type: 'string', minLength: 1 } };
const componentMap: JsonSchema = { type: 'object', additionalProperties: { type: ['object', 'null'] } };

/** The shape of one config file; the components' own settings are checked by their schemas. */
const FILE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    plugins: idList,
    receivers: componentMap,
    processors: componentMap,
    exporters: componentMap,
    service: {
      type: 'object',
      properties: {
        pipelines: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['tenant'],
            properties: {
              tenant: { type: 'string', pattern: TENANT_PATTERN },
              receivers: idList,
              processors: idList,
              exporters: idList,
            },
          },
        },
      },
    },
  },
};

interface Located<T> {
  readonly source: SourceFile;
  readonly value: T;
}

interface RawPipeline {
  tenant: string;
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The user's config over the factory's defaults: maps merge key by key, anything else replaces. */
export function mergeOverDefaults(defaults: unknown, user: unknown): unknown {
  if (user === null || user === undefined) return defaults;
  if (!isPlainObject(defaults) || !isPlainObject(user)) return user;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) merged[key] = mergeOverDefaults(defaults[key], value);
  return merged;
}

class IssueList {
  readonly items: ConfigIssue[] = [];

  at(source: SourceFile, path: readonly (string | number)[], message: string, atKey = false): void {
    const { line, column } = locate(source, path, atKey);
    this.items.push({ file: source.path, line, column, path, message });
  }
}

/**
 * Reads, merges and validates config files (or directories of them). Every problem is collected
 * and thrown together as one ConfigError, each with its file, line and key path.
 */
export async function loadConfig(paths: readonly string[], options: LoadOptions): Promise<ServiceConfig> {
  const raw: ConfigIssue[] = [];
  const files = expandConfigPaths(paths, raw);
  const sources: SourceFile[] = [];
  for (const file of files) {
    const source = readSourceFile(file, raw, { env: options.env });
    if (source) sources.push(source);
  }
  const issues = new IssueList();
  issues.items.push(...raw);

  // 1. Each file's own shape.
  const usable: SourceFile[] = [];
  for (const source of sources) {
    if (source.data === null || source.data === undefined) continue; // an empty file adds nothing
    if (!isPlainObject(source.data)) {
      issues.at(source, [], 'a config file must be a map of receivers, processors, exporters, service and plugins');
      continue;
    }
    for (const problem of validateAgainst(FILE_SCHEMA, source.data)) {
      let message = problem.message;
      if (problem.path.length === 1 && message.startsWith('unknown key')) {
        const hint = closest(String(problem.path[0]), ['plugins', 'receivers', 'processors', 'exporters', 'service']);
        message = hint ? `unknown top-level key (did you mean "${hint}"?)` : 'unknown top-level key (valid keys: plugins, receivers, processors, exporters, service)';
      }
      if (source.unresolved.has(problem.path.join('::'))) continue; // already reported
      if (problem.path[problem.path.length - 1] === 'tenant' && message.startsWith('must match pattern')) {
        message = `must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit, got ${JSON.stringify((source.data as Record<string, any>).service?.pipelines?.[problem.path[2]!]?.tenant)}`;
      }
      issues.at(source, problem.path, message, problem.atKey);
    }
    usable.push(source);
  }

  // 2. Merge the files: one namespace of ids across all of them.
  const definitions: Record<Section, Map<string, Located<unknown>>> = { receivers: new Map(), processors: new Map(), exporters: new Map() };
  const pipelines = new Map<string, Located<RawPipeline>>();
  const pluginReferences: (PluginReference & { source: SourceFile; index: number })[] = [];
  for (const source of usable) {
    const data = source.data as Record<string, unknown>;
    if (Array.isArray(data.plugins)) {
      data.plugins.forEach((specifier, index) => {
        if (typeof specifier === 'string' && specifier !== '') pluginReferences.push({ specifier, configFile: source.path, source, index });
      });
    }
    for (const section of SECTIONS) {
      const map = data[section];
      if (!isPlainObject(map)) continue;
      for (const [id, value] of Object.entries(map)) {
        const first = definitions[section].get(id);
        if (first) {
          const where = locate(first.source, [section, id], true);
          issues.at(source, [section, id], `is defined twice (first at ${first.source.path}:${where.line}); ids are shared by every file of a config, so give each tenant's component its own name, e.g. ${id.split('/')[0]}/<tenant>`, true);
          continue;
        }
        definitions[section].set(id, { source, value });
      }
    }
    const service = data.service;
    const declared = isPlainObject(service) ? service.pipelines : undefined;
    if (isPlainObject(declared)) {
      for (const [id, value] of Object.entries(declared)) {
        if (!isPlainObject(value) || typeof value.tenant !== 'string') continue; // reported by the file schema
        const first = pipelines.get(id);
        if (first) {
          const where = locate(first.source, ['service', 'pipelines', id], true);
          issues.at(source, ['service', 'pipelines', id], `is defined twice (first at ${first.source.path}:${where.line})`, true);
          continue;
        }
        pipelines.set(id, { source, value: value as unknown as RawPipeline });
      }
    }
  }

  // 3. Third-party plugins, before component types are looked up.
  const registry = options.registry.clone();
  const failures = await loadPlugins(pluginReferences, registry);
  for (const [index, message] of failures) {
    const reference = pluginReferences[index]!;
    issues.at(reference.source, ['plugins', reference.index], `${JSON.stringify(reference.specifier)}: ${message}`);
  }

  // 4. Each component against its factory's schema.
  const validated: Record<Section, Map<string, { factory: Factory; config: unknown; source: SourceFile; type: string }>> = {
    receivers: new Map(), processors: new Map(), exporters: new Map(),
  };
  const invalid = new Set<string>();
  for (const section of SECTIONS) {
    const kind = SECTION_KIND[section];
    for (const [id, { source, value }] of definitions[section]) {
      const match = COMPONENT_ID.exec(id);
      const type = match?.[1];
      if (!match || type === undefined || !COMPONENT_TYPE.test(type)) {
        issues.at(source, [section, id], 'is not a valid component id: write type[/name], with type in lower_snake_case', true);
        invalid.add(`${section}::${id}`);
        continue;
      }
      const factory = registry.get(kind, type);
      if (!factory) {
        const known = registry.typesOf(kind);
        const hint = closest(type, known);
        invalid.add(`${section}::${id}`);
        issues.at(source, [section, id], `unknown ${kind} type "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}; available: ${known.join(', ') || 'none'}`, true);
        continue;
      }
      if (value !== null && value !== undefined && !isPlainObject(value)) continue; // reported by the file schema
      const config = mergeOverDefaults(factory.createDefaultConfig(), value);
      for (const problem of validateAgainst(factory.configSchema, config)) {
        const path = [section, id, ...problem.path];
        if (source.unresolved.has(path.join('::'))) continue; // the reference was reported
        issues.at(source, path, problem.message, problem.atKey);
      }
      validated[section].set(id, { factory, config, source, type });
    }
  }

  // 5. The graph: references, use, and tenant boundaries.
  const used: Record<Section, Set<string>> = { receivers: new Set(), processors: new Set(), exporters: new Set() };
  const fileTenants = new Map<string, Set<string>>();
  for (const { source, value } of pipelines.values()) {
    const tenants = fileTenants.get(source.path) ?? new Set<string>();
    tenants.add(value.tenant);
    fileTenants.set(source.path, tenants);
  }
  const owner: Record<Section, Map<string, string>> = { receivers: new Map(), processors: new Map(), exporters: new Map() };
  const pipelineSpecs = new Map<string, PipelineSpec>();
  for (const [id, { source, value }] of pipelines) {
    const base = ['service', 'pipelines', id];
    if (!PIPELINE_ID.test(id)) issues.at(source, base, 'is not a valid pipeline id: write logs or logs/<name>', true);
    for (const section of SECTIONS) {
      const kind = SECTION_KIND[section];
      const references = value[section] ?? [];
      if (references.length === 0 && section !== 'processors') {
        issues.at(source, value[section] ? [...base, section] : base, `a pipeline needs at least one ${kind}`, value[section] === undefined);
      }
      const seen = new Set<string>();
      references.forEach((reference, index) => {
        if (typeof reference !== 'string') return;
        const path = [...base, section, index];
        if (seen.has(reference)) {
          issues.at(source, path, `${kind} "${reference}" is listed twice in this pipeline`);
          return;
        }
        seen.add(reference);
        const definition = definitions[section].get(reference);
        if (!definition) {
          const hint = closest(reference, [...definitions[section].keys()]);
          const defined = [...definitions[section].keys()];
          issues.at(source, path, `${kind} "${reference}" is not defined${hint ? ` (did you mean "${hint}"?)` : defined.length > 0 ? ` (defined: ${defined.join(', ')})` : ''}`);
          return;
        }
        used[section].add(reference);
        let tenant = owner[section].get(reference);
        if (tenant === undefined) {
          const definingFileTenants = fileTenants.get(definition.source.path);
          tenant = definingFileTenants?.size === 1 ? [...definingFileTenants][0]! : value.tenant;
          owner[section].set(reference, tenant);
        }
        if (tenant !== value.tenant) {
          issues.at(source, path, `${kind} "${reference}" belongs to tenant "${tenant}"; a pipeline of tenant "${value.tenant}" cannot use it (no component is shared between tenants)`);
        }
      });
    }
    pipelineSpecs.set(id, {
      id,
      tenant: value.tenant,
      receivers: value.receivers ?? [],
      processors: value.processors ?? [],
      exporters: value.exporters ?? [],
      file: source.path,
    });
  }
  for (const section of SECTIONS) {
    for (const [id, { source }] of definitions[section]) {
      if (!used[section].has(id) && !invalid.has(`${section}::${id}`)) issues.at(source, [section, id], 'is defined but no pipeline uses it', true);
    }
  }
  if (pipelines.size === 0 && issues.items.length === 0) {
    issues.items.push({ file: files.join(', '), path: ['service', 'pipelines'], message: 'no pipeline is defined' });
  }

  if (issues.items.length > 0) throw new ConfigError(sortIssues(issues.items, files));

  const specs = (section: Section): Map<string, ComponentSpec> => {
    const result = new Map<string, ComponentSpec>();
    for (const [id, entry] of validated[section]) {
      result.set(id, { id, kind: SECTION_KIND[section], type: entry.type, factory: entry.factory, config: entry.config, tenant: owner[section].get(id)!, file: entry.source.path });
    }
    return result;
  };
  return {
    files,
    registry,
    receivers: specs('receivers'),
    processors: specs('processors'),
    exporters: specs('exporters'),
    pipelines: pipelineSpecs,
  };
}

function sortIssues(issues: readonly ConfigIssue[], files: readonly string[]): ConfigIssue[] {
  const order = (file: string | undefined): number => {
    const index = file === undefined ? -1 : files.indexOf(file);
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  return [...issues].sort((a, b) => order(a.file) - order(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
