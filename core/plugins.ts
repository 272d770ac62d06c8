import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import { API_VERSION } from './api.js';
import type { Factory } from './api.js';
import type { Registry } from './registry.js';
import { checkFactory } from './registry.js';

/** A `plugins:` entry and where it was written. */
export interface PluginReference {
  readonly specifier: string;
  /** The config file that names it; relative paths and package names resolve from there. */
  readonly configFile: string;
}

function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || isAbsolute(specifier) || specifier.startsWith('file:');
}

/** The entry module of a package folder, from its package.json (`exports`, then `main`). */
function packageEntry(folder: string): string {
  let manifest: { exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as typeof manifest;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'the folder has no package.json' : `its package.json is not valid JSON: ${(error as Error).message}`);
  }
  let entry: unknown = manifest.exports;
  if (entry && typeof entry === 'object' && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  while (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.import ?? conditions.node ?? conditions.default;
  }
  if (typeof entry !== 'string') entry = typeof manifest.main === 'string' ? manifest.main : 'index.js';
  return join(folder, entry as string);
}

/**
 * Resolves a plugin the way Node would from the config file's folder: a path relative to the
 * config file (a module file, or a package folder), or a package installed beside the config
 * (then beside the working directory, then beside authwire itself, so that a globally installed
 * authwire finds globally installed plugins).
 */
export function resolvePlugin(reference: PluginReference): string {
  const { specifier, configFile } = reference;
  if (isPathSpecifier(specifier)) {
    const target = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(dirname(configFile), specifier);
    const stats = statSync(target);
    return pathToFileURL(stats.isDirectory() ? packageEntry(target) : target).href;
  }
  const parents = [pathToFileURL(configFile).href, pathToFileURL(resolve('authwire.config.js')).href, import.meta.url];
  let lastError: unknown;
  for (const parent of parents) {
    try {
      return resolveModule(specifier, parent);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Loads one plugin module and returns its factories, or throws an Error that says what is wrong. */
export async function loadPlugin(reference: PluginReference): Promise<{ url: string; factories: Factory[] }> {
  let url: string;
  try {
    url = resolvePlugin(reference);
  } catch (error) {
    if (isPathSpecifier(reference.specifier)) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file or directory' : (error as Error).message;
      throw new Error(`plugin not found at ${resolve(dirname(reference.configFile), reference.specifier)}: ${why}`);
    }
    throw new Error(`plugin package "${reference.specifier}" is not installed (npm install ${reference.specifier}, beside the config or authwire)`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`plugin failed to load: ${(error as Error).message}`);
  }
  const version = module.apiVersion;
  if (typeof version !== 'number') throw new Error(`plugin exports no apiVersion (expected "export const apiVersion = ${API_VERSION}")`);
  if (version !== API_VERSION) throw new Error(`plugin was built for authwire plugin API ${version}; this authwire provides API ${API_VERSION}`);
  const factories = module.factories;
  if (!Array.isArray(factories) || factories.length === 0) throw new Error('plugin exports no factories (expected "export const factories = [...]")');
  const problems: string[] = [];
  factories.forEach((factory, index) => {
    const found = checkFactory(factory);
    const type = (factory as Partial<Factory> | null)?.type;
    if (found.length > 0) problems.push(`factories[${index}]${typeof type === 'string' ? ` (${type})` : ''}: ${found.join('; ')}`);
  });
  if (problems.length > 0) throw new Error(`plugin exports no valid factory: ${problems.join('; ')}`);
  return { url, factories: factories as Factory[] };
}

/** Loads every plugin into `registry`; returns one message per plugin that failed, by index. */
export async function loadPlugins(references: readonly PluginReference[], registry: Registry): Promise<Map<number, string>> {
  const failures = new Map<number, string>();
  for (const [index, reference] of references.entries()) {
    try {
      const { factories } = await loadPlugin(reference);
      for (const factory of factories) registry.register(factory, reference.specifier);
    } catch (error) {
      failures.set(index, (error as Error).message);
    }
  }
  return failures;
}
