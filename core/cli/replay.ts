/**
 * `authwire replay -c <config> --format <format> <file.ndjson> [--tenant <t>]`: runs recorded raw
 * records through a config's processors as fast as they go, to test rules against history.
 *
 * Which processors: every processor of the first pipeline (in config order) whose processors
 * include a `detect` processor, in pipeline order, each built by its factory from the loaded
 * config, the last one feeding a collector. Receivers and exporters are not built: nothing is
 * polled and nothing is sent anywhere.
 *
 * Output: each detection (OCSF Detection Finding, class_uid 2004) as one JSON line on stdout, in
 * the order the detector emits them; each dead letter on stderr with its reason; a summary line
 * on stderr. Exit 0; 1 when the config is invalid or has no pipeline with a detect processor;
 * 2 on wrong arguments (unknown format, unreadable file, bad tenant, missing option).
 *
 * Records are fed in batches of 1000. Detections are judged on event time, so a replay gives the
 * same findings every time. Windows still open when the input ends (absence and lt/lte rules wait
 * for the watermark to pass their end) are not judged: the detect processor has no end-of-input.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Consumer, CreateSettings, DeadLetter, Host, Processor, ProcessorFactory, RawRecord } from '../api.js';
import { ConfigError, formatIssue } from '../config/issues.js';
import { TENANT_PATTERN, loadConfig } from '../config/load.js';
import type { ServiceConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { nopLogger } from '../logger.js';
import { loadHostSettings } from '../settings.js';
import { createBuiltinRegistry } from '../../plugins/index.js';
import { mapperTable } from '../../plugins/processors/normalize/normalize.js';
import { splitRecords } from '../../plugins/processors/normalize/input.js';
import type { NormalizeConfig } from '../../plugins/processors/normalize/config.js';
import { metrics } from '@opentelemetry/api';

const BATCH_SIZE = 1000;

export interface ReplayOutput {
  out(text: string): void;
  err(text: string): void;
}

export interface ReplayOptions {
  format: string;
  tenant: string;
  /** The host's worker budget (detect processors without `workers` use it). */
  workers: number;
}

/** Keeps the findings of each batch the last processor passes on. */
class FindingPrinter implements Consumer {
  detections = 0;
  events = 0;
  constructor(private readonly output: ReplayOutput) {}
  async consume(batch: Batch): Promise<void> {
    for (const record of batch.records) {
      if ((record as { class_uid?: unknown }).class_uid === 2004) {
        this.detections++;
        this.output.out(JSON.stringify(record) + '\n');
      } else this.events++;
    }
  }
}

class ReplayHost implements Host {
  deadLetters = 0;
  errors = 0;
  constructor(private readonly output: ReplayOutput) {}
  reportError(error: unknown): void {
    this.errors++;
    this.output.err(`error: ${errorMessage(error)}\n`);
  }
  async deadLetter(_tenant: string, letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      this.deadLetters++;
      this.output.err(`dead-lettered (${letter.reason}): ${letter.detail}\n`);
    }
  }
}

function mappingsOf(config: ServiceConfig): NormalizeConfig {
  const mappings: NormalizeConfig['mappings'] = {};
  for (const spec of config.processors.values()) {
    if (spec.type === 'normalize') Object.assign(mappings, (spec.config as NormalizeConfig).mappings);
  }
  return { mappings };
}

/**
 * Replays `text` (records of `options.format`) through the config's detect pipeline. Returns the
 * exit code.
 */
export async function replayCommand(config: ServiceConfig, input: { name: string; text: string }, options: ReplayOptions, output: ReplayOutput): Promise<number> {
  if (!new RegExp(TENANT_PATTERN).test(options.tenant)) {
    output.err(`invalid tenant ${JSON.stringify(options.tenant)}: it must match ${TENANT_PATTERN}\n`);
    return 2;
  }
  const mappers = mapperTable(mappingsOf(config));
  if (!mappers.has(options.format)) {
    output.err(`unknown format ${JSON.stringify(options.format)}; known formats: ${[...mappers.keys()].sort().join(', ')}\n`);
    return 2;
  }
  const pipeline = [...config.pipelines.values()].find((p) => p.processors.some((id) => config.processors.get(id)?.type === 'detect'));
  if (pipeline === undefined) {
    output.err(`no pipeline of ${config.files.join(', ')} has a detect processor: nothing to replay through\n`);
    return 1;
  }

  const printer = new FindingPrinter(output);
  const host = new ReplayHost(output);
  const processors: Processor[] = [];
  let next: Consumer = printer;
  for (const id of [...pipeline.processors].reverse()) {
    const spec = config.processors.get(id)!;
    const settings: CreateSettings = {
      id, kind: 'processor', type: spec.type, tenant: options.tenant, pipeline: pipeline.id, logger: nopLogger,
      meter: metrics.getMeter('authwire-replay'), dataDir: join(tmpdir(), 'authwire-replay', id.replace(/[^\w.-]/g, '_')), workers: options.workers,
    };
    const processor = (await (spec.factory as ProcessorFactory).create(settings, structuredClone(spec.config) as never, next)) as Processor;
    processors.unshift(processor);
    next = processor;
  }

  const records = splitRecords(options.format, input.text);
  const observedTime = Date.now();
  let failed = 0;
  try {
    for (const processor of [...processors].reverse()) await processor.start(host);
    const first = processors[0]!;
    for (let at = 0; at < records.length; at += BATCH_SIZE) {
      const batch: RawRecord[] = records.slice(at, at + BATCH_SIZE).map((payload) => ({ format: options.format, payload, observedTime, source: 'replay' }));
      try {
        await first.consume({ tenant: options.tenant, records: batch });
      } catch (error) {
        failed += batch.length;
        output.err(`records ${at + 1}-${at + batch.length}: refused: ${errorMessage(error)}\n`);
      }
    }
    // The recording ends here: judge what is still open (absence and lt/lte rules).
    for (const processor of processors) {
      const flushable = processor as Processor & { flush?: () => Promise<void> };
      if (typeof flushable.flush === 'function') await flushable.flush();
    }
  } finally {
    for (const processor of processors) await processor.shutdown();
  }
  output.err(`${input.name}: ${records.length} records through ${pipeline.id} (${pipeline.processors.join(', ')}): ${printer.events} events, ${printer.detections} detections, ${host.deadLetters} dead-lettered${failed > 0 ? `, ${failed} refused` : ''}\n`);
  return 0;
}

async function loadOrReport(paths: string[], output: ReplayOutput): Promise<ServiceConfig | undefined> {
  try {
    return await loadConfig(paths, { registry: createBuiltinRegistry() });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const issue of error.issues) output.err(formatIssue(issue) + '\n');
      output.err(`${error.issues.length} ${error.issues.length === 1 ? 'error' : 'errors'} in the configuration\n`);
      return undefined;
    }
    throw error;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds `replay` to the program. Wrong arguments exit 2 (commander's own usage errors included). */
export function registerReplayCommand(program: Command): void {
  const output: ReplayOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
  program.command('replay').description('run recorded raw records through a config\'s processors as fast as possible; print the detections as OCSF JSON, one per line')
    .argument('<file>', 'recorded records of one format (NDJSON, a JSON array, or text lines)')
    .requiredOption('-c, --config <file|dir>', 'config whose first pipeline with a detect processor is replayed (repeatable)', collect, [])
    .requiredOption('-f, --format <format>', 'the records\' format: keycloak.event, mfa_api, okta, entra.signin, ..., mapping.<name>')
    .option('--tenant <tenant>', 'tenant of the records', 'default')
    .exitOverride((error) => {
      // Help and version exit 0; every usage error is "wrong arguments".
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .action(async (file: string, options: { config: string[]; format: string; tenant: string }) => {
      if (options.config.length === 0) {
        output.err('error: required option \'-c, --config <file|dir>\' not specified\n');
        return void (process.exitCode = 2);
      }
      const config = await loadOrReport(options.config, output);
      if (config === undefined) return void (process.exitCode = 1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        output.err(`cannot read ${file}: ${errorMessage(error)}\n`);
        return void (process.exitCode = 2);
      }
      let workers: number;
      try {
        workers = loadHostSettings([]).workers;
      } catch (error) {
        output.err(errorMessage(error) + '\n');
        return void (process.exitCode = 2);
      }
      process.exitCode = await replayCommand(config, { name: file, text }, { format: options.format, tenant: options.tenant, workers }, output);
    });
}
