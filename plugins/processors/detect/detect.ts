import type { Batch, Consumer, CreateSettings, DeadLetter, Host, PipelineRecord, Processor } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError } from '../../../core/errors.js';
import { builtinRules } from './builtin.js';
import type { BuiltinOverride, DetectConfig } from './config.js';
import { DEFAULT_LIMITS, KEY_SEPARATOR, WindowEngine } from './engine.js';
import type { EngineLimits, Observation, RawDetection, WindowRule } from './engine.js';
import { buildFinding } from './finding.js';
import { compileRules } from './rules.js';
import type { RouterRule, RuleDefinition } from './rules.js';

/** One share of the keyed state: on a worker thread, or inline. Calls are made one at a time. */
export interface Partition {
  observe(observations: Observation[]): Promise<RawDetection[]>;
  /** Moves watermarks on; returns what became due. */
  tick(watermarks: Map<string, number>): Promise<RawDetection[]>;
  close(): Promise<void>;
}

/** A partition on the calling thread (`workers: 0`, tests, the replay tool). */
export class InlinePartition implements Partition {
  readonly engine: WindowEngine;
  constructor(rules: readonly WindowRule[], limits: EngineLimits) {
    this.engine = new WindowEngine(rules, limits);
  }
  async observe(observations: Observation[]): Promise<RawDetection[]> {
    return this.engine.observe(observations);
  }
  async tick(watermarks: Map<string, number>): Promise<RawDetection[]> {
    return this.engine.tick(watermarks);
  }
  async close(): Promise<void> {}
}

export type PartitionFactory = (rules: readonly WindowRule[], limits: EngineLimits, count: number) => Promise<Partition[]>;

export const inlinePartitions: PartitionFactory = async (rules, limits, count) => Array.from({ length: Math.max(1, count) }, () => new InlinePartition(rules, limits));

/** The rule set a config asks for: the built-in pack (with overrides) and/or its own rules, enabled ones only. */
export function resolveRules(config: DetectConfig): RuleDefinition[] {
  const resolved: RuleDefinition[] = [];
  for (const entry of config.rules) {
    if (entry === 'builtin') {
      for (const rule of builtinRules(config.parameters)) resolved.push(applyOverride(rule, config.builtin[rule.id]));
    } else resolved.push(entry as RuleDefinition);
  }
  return resolved.filter((rule) => rule.enabled !== false);
}

function applyOverride(rule: RuleDefinition, override: BuiltinOverride | undefined): RuleDefinition {
  if (override === undefined) return rule;
  return {
    ...rule,
    ...(override.enabled !== undefined ? { enabled: override.enabled } : {}),
    ...(override.condition !== undefined ? { condition: override.condition } : {}),
    ...(override.timespan !== undefined ? { timespan: override.timespan } : {}),
    ...(override.suppress !== undefined ? { suppress: override.suppress } : {}),
    ...(override.severity !== undefined ? { severity: override.severity } : {}),
  };
}

/** FNV-1a: a stable partition for a key, the same on every run and machine. */
export function partitionOf(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

function isOcsf(record: PipelineRecord): record is PipelineRecord & { time: number; metadata: { uid?: string } } {
  return typeof (record as { class_uid?: unknown }).class_uid === 'number' && typeof (record as { time?: unknown }).time === 'number';
}

function logNameOf(record: PipelineRecord): string | undefined {
  const logName = (record as { metadata?: { log_name?: unknown } }).metadata?.log_name;
  return typeof logName === 'string' ? logName : undefined;
}

function keyPart(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value.length > 0 ? keyPart(value[0]) : undefined;
  return typeof value === 'string' ? value : String(value);
}

/** Sorts detections so that their order does not depend on how keys were spread over partitions. */
export function compareDetections(a: RawDetection, b: RawDetection): number {
  return a.time - b.time || a.rule - b.rule || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export interface DetectCounters {
  late: number;
  observations: number;
  detections: number;
}

/**
 * The `detect` processor. On the pipeline's thread it routes: each OCSF event is matched against
 * every rule's filter, keyed (tenant + group-by values) and sent, as a compact observation, to the
 * partition its key hashes to. Partitions hold the windows. After each batch every partition
 * hears the tenant's watermark, the detections of the batch are put in a fixed order and appended
 * to the batch as OCSF Detection Findings. Events pass on unchanged.
 */
export class DetectProcessor implements Processor {
  readonly mutatesData = false;
  readonly rules: readonly RouterRule[];
  readonly counters: DetectCounters = { late: 0, observations: 0, detections: 0 };
  private readonly outOfOrdernessMs: number;
  private readonly latenessMs: number;
  private readonly limits: EngineLimits;
  private readonly partitionCount: number;
  private readonly makePartitions: PartitionFactory;
  private partitions: Partition[] = [];
  private readonly watermarks = new Map<string, number>();
  private host: Host | undefined;
  private state: 'created' | 'started' | 'stopped' = 'created';
  /** Batches are processed one at a time, so state sees events in one order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: CreateSettings,
    config: DetectConfig,
    private readonly next: Consumer,
    makePartitions: PartitionFactory = inlinePartitions,
  ) {
    this.outOfOrdernessMs = parseDuration(config.allowed_out_of_orderness);
    this.latenessMs = parseDuration(config.allowed_lateness);
    this.rules = compileRules(resolveRules(config), parseDuration(config.suppress));
    this.limits = { ...DEFAULT_LIMITS, latenessMs: this.latenessMs, maxKeysPerRule: config.max_keys_per_rule };
    this.partitionCount = config.workers ?? settings.workers;
    this.makePartitions = this.partitionCount === 0 ? inlinePartitions : makePartitions;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    this.partitions = await this.makePartitions(this.rules.map((rule) => rule.window), this.limits, Math.max(1, this.partitionCount));
    this.state = 'started';
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.queue.catch(() => {});
    await Promise.all(this.partitions.map((partition) => partition.close()));
    this.partitions = [];
  }

  consume(batch: Batch): Promise<void> {
    if (this.state !== 'started') return Promise.reject(new PermanentError(this.state === 'stopped' ? 'shut_down' : 'not_started', `${this.settings.id} is not running`));
    const run = this.queue.then(() => this.process(batch));
    this.queue = run.catch(() => {});
    return run;
  }

  private async process(batch: Batch): Promise<void> {
    const tenant = batch.tenant;
    const partitions = this.partitions;
    const outgoing: Observation[][] = partitions.map(() => []);
    let watermark = this.watermarks.get(tenant) ?? Number.NEGATIVE_INFINITY;
    let letters: DeadLetter[] | undefined;
    for (const record of batch.records) {
      if (!isOcsf(record)) continue;
      const time = record.time;
      if (time - this.outOfOrdernessMs > watermark) watermark = time - this.outOfOrdernessMs;
      if (time < watermark - this.latenessMs) {
        this.counters.late++;
        (letters ??= []).push({
          reason: 'late_for_detection',
          detail: `event time ${new Date(time).toISOString()} is older than the watermark ${new Date(watermark).toISOString()} minus the allowed lateness; the event is passed on but not counted by the rules`,
          format: logNameOf(record),
          original: record,
          observedTime: time,
        });
        continue;
      }
      this.route(record, tenant, time, watermark, outgoing);
    }
    this.watermarks.set(tenant, watermark);
    const detections: RawDetection[] = [];
    const observed = await Promise.all(partitions.map((partition, i) => (outgoing[i]!.length > 0 ? partition.observe(outgoing[i]!) : Promise.resolve([]))));
    for (const list of observed) detections.push(...list);
    const ticks = new Map([[tenant, watermark]]);
    const due = await Promise.all(partitions.map((partition) => partition.tick(ticks)));
    for (const list of due) detections.push(...list);
    detections.sort(compareDetections);
    this.counters.detections += detections.length;
    if (letters !== undefined) await this.host!.deadLetter(tenant, letters);
    const findings = detections.map((detection) => buildFinding(this.rules[detection.rule]!, detection));
    const records = findings.length > 0 ? [...batch.records, ...findings] : batch.records;
    if (records.length > 0) await this.next.consume(findings.length > 0 ? { tenant, records } : batch);
  }

  private route(event: PipelineRecord & { time: number; metadata: { uid?: string } }, tenant: string, time: number, watermark: number, outgoing: Observation[][]): void {
    const uid = typeof event.metadata?.uid === 'string' ? event.metadata.uid : '';
    for (const rule of this.rules) {
      const filters = rule.stageFilters;
      for (let stage = 0; stage < filters.length; stage++) {
        if (!filters[stage]!(event)) continue;
        let key = tenant;
        let keyed = true;
        for (const field of rule.keyFields) {
          const part = keyPart(field(event));
          if (part === undefined) {
            keyed = false;
            break;
          }
          key += KEY_SEPARATOR + part;
        }
        if (!keyed) break;
        let value: string | undefined;
        if (rule.valueField !== undefined) {
          value = keyPart(rule.valueField(event));
          if (value === undefined) break;
        }
        let weight = 1;
        for (const entry of rule.weights) if (entry.filter(event)) weight *= entry.weight;
        this.counters.observations++;
        outgoing[partitionOf(key, outgoing.length)]!.push({ rule: rule.index, stage, tenant, key, time, value, weight, uid, watermark });
      }
    }
  }
}
