import { readFileSync } from 'node:fs';
import { mapperTable, mapRecord } from '../../plugins/processors/normalize/normalize.js';
import { splitRecords } from '../../plugins/processors/normalize/input.js';
import type { NormalizeConfig } from '../../plugins/processors/normalize/config.js';
import type { ServiceConfig } from '../config/load.js';

export interface NormalizeCommandOptions {
  format: string;
  tenant: string;
  /** The declarative mappings of the config's normalize processors, when -c was given. */
  config?: ServiceConfig;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

function mappingsOf(config: ServiceConfig | undefined): NormalizeConfig {
  const mappings: NormalizeConfig['mappings'] = {};
  for (const spec of config?.processors.values() ?? []) {
    if (spec.type === 'normalize') Object.assign(mappings, (spec.config as NormalizeConfig).mappings);
  }
  return { mappings };
}

function preview(payload: string): string {
  const flat = payload.replace(/\s+/g, ' ');
  return flat.length > 200 ? flat.slice(0, 199) + '…' : flat;
}

/**
 * `authwire normalize`: what a vendor record becomes. One OCSF event per line on stdout; each
 * record that cannot be mapped on stderr with its reason. Returns the exit code: 0, or 2 for an
 * unknown format (wrong arguments).
 */
export function normalizeCommand(inputs: readonly { name: string; text: string }[], options: NormalizeCommandOptions, output: Output): number {
  const mappers = mapperTable(mappingsOf(options.config));
  if (!mappers.has(options.format)) {
    output.err(`unknown format ${JSON.stringify(options.format)}; known formats: ${[...mappers.keys()].sort().join(', ')}\n`);
    return 2;
  }
  const observedTime = Date.now();
  const context = { tenant: options.tenant, observedTime, format: options.format };
  let mapped = 0;
  let dead = 0;
  for (const input of inputs) {
    const records = splitRecords(options.format, input.text);
    records.forEach((payload, index) => {
      const result = mapRecord(mappers, { format: options.format, payload, observedTime, source: 'cli' }, context);
      if ('reason' in result && 'original' in result) {
        dead++;
        output.err(`${input.name}: record ${index + 1}: dead-lettered (${result.reason}): ${result.detail}: ${preview(payload)}\n`);
      } else {
        mapped++;
        output.out(JSON.stringify(result) + '\n');
      }
    });
  }
  output.err(`${mapped} mapped, ${dead} dead-lettered\n`);
  return 0;
}

export function readInputs(files: readonly string[]): { name: string; text: string }[] {
  if (files.length === 0) return [{ name: 'stdin', text: readFileSync(0, 'utf8') }];
  return files.map((file) => ({ name: file, text: readFileSync(file, 'utf8') }));
}
