import type { Batch, Consumer, CreateSettings, DeadLetter, Host, PipelineRecord, Processor } from '../../../core/api.js';
import { parseDuration } from '../../../core/duration.js';
import { PermanentError, errorCode, errorMessage, isRetryable } from '../../../core/errors.js';
import { builtinRules } from './builtin.js';
import type { BuiltinOverride, DetectConfig } from './config.js';
import { DEFAULT_LIMITS, KEY_SEPARATOR, WindowEngine } from './engine.js';
import type { EngineLimits, Observation, RawDetection, WindowRule } from './engine.js';
import { buildFinding } from './finding.js';
import { filterClasses } from './filter.js';
import type { Accessor, Predicate } from './filter.js';
import { compileRules, stageFilterDefinitions } from './rules.js';
import type { RouterRule, RuleDefinition } from './rules.js';
import { idOfRef, KeyIds, partitionOfRef } from './key-ids.js';
import { decodeObservations, ObservationBuilder } from './worker-protocol.js';
import type { ObservationColumns } from './worker-protocol.js';

/**
 * One share of the keyed state: on a worker thread, or inline. Calls may overlap (batches in
 * flight); a partition works on them in the order they were made.
 */
export interface Partition {
  observe(observations: Observation[]): Promise<RawDetection[]>;
  /** Moves watermarks on; returns what became due. */
  tick(watermarks: Map<string, number>): Promise<RawDetection[]>;
  close(): Promise<void>;
  /**
   * The fast path, where a partition has it: a pipeline batch's observations as columns, then the
   * tick to its tenant's watermark, in one call (one round trip to a worker thread). The same as
   * `observe` of the decoded observations followed by `tick`, detections in that order. Columns
   * with segments hold several batches: each batch's observations then its tick, in turn, each
   * detection tagged with its batch (`WindowEngine.observeSegments`).
   */
  readonly observeBatch?: ((columns: ObservationColumns, tenant: string, watermark: number) => Promise<RawDetection[]>) | undefined;
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
  async observeBatch(columns: ObservationColumns, tenant: string, watermark: number): Promise<RawDetection[]> {
    if (columns.segmentEnds !== undefined) return this.engine.observeSegments(columns, tenant);
    const observed = this.engine.observeColumns(columns);
    const due = this.engine.tick(new Map([[tenant, watermark]]));
    return due.length === 0 ? observed : observed.length === 0 ? due : observed.concat(due);
  }
  async close(): Promise<void> {}
}

/** Hand-offs to the workers per generation of the router's key ids: a key unused for one to two generations is forgotten (and sent again when it comes back). */
export const KEY_GENERATION_BATCHES = 64;

export interface DetectProcessorOptions {
  /** Tests: a short generation, to see ids forgotten and reused. */
  readonly keyGenerationBatches?: number;
}

/** On failure, the ids of the hand-off's events that no rule counted (see `uncountedLetters`). */
type EvaluationOutcome = { segments: RawDetection[][] } | { error: unknown; eventIds: string[] };

/**
 * Pipeline batches routed into the columns not yet handed to the partitions. Their records are
 * not kept: they have been passed on, and holding every record of the batches in flight until
 * their findings came back (to dead-letter them if a partition failed) made them outlive V8's
 * young generation under load. On the load harness that cost a quarter of the detect variant's
 * throughput (88,700 against 117,500 events/s, 13.3 against 9.9 CPU s per million). A failure
 * names the events by id instead (`uncountedLetters`).
 */
interface OpenGroup {
  readonly tenant: string;
  /** Pipeline batches in the group. */
  batches: number;
  readonly passedOn: Promise<void>[];
  events: number;
  watermark: number;
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
  return (fnv1a(0x811c9dc5, key) >>> 0) % count;
}

/**
 * `partitionOf(tenant + KEY_SEPARATOR + values, count)` without building that string: FNV-1a runs
 * over the parts in turn (reading a concatenated string's characters would flatten it first).
 */
export function partitionOfParts(tenant: string, values: string, count: number): number {
  return (fnv1a(fnv1a(fnv1a(0x811c9dc5, tenant), KEY_SEPARATOR), values) >>> 0) % count;
}

function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash;
}

function isOcsf(record: PipelineRecord): record is PipelineRecord & { class_uid: number; time: number; metadata: { uid?: string } } {
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

/** A rule's stages that an event of some class may match, in stage order. */
interface Route {
  readonly rule: RouterRule;
  readonly stages: readonly number[];
  readonly filters: readonly Predicate[];
}

/**
 * Which rules' stages can match an event, by its class_uid. A stage whose filter names its classes
 * (`filterClasses`) is listed under those classes only; one that does not, under every class and
 * in `other`. Rules keep their order and stages theirs, so observations come out in the order of
 * testing every stage of every rule; a stage left out could not have matched.
 */
export function routeTable(rules: readonly RouterRule[]): { byClass: Map<number, readonly Route[]>; other: readonly Route[] } {
  const stageClasses = rules.map((rule) => {
    const classes = stageFilterDefinitions(rule.definition).map(filterClasses);
    if (classes.length !== rule.stageFilters.length) throw new Error(`rule ${rule.definition.id}: ${classes.length} stage filters, ${rule.stageFilters.length} compiled`);
    return classes;
  });
  const routesWhere = (admits: (classes: ReadonlySet<number> | undefined) => boolean): Route[] => {
    const routes: Route[] = [];
    rules.forEach((rule, r) => {
      const stages = stageClasses[r]!.flatMap((classes, stage) => (admits(classes) ? [stage] : []));
      if (stages.length > 0) routes.push({ rule, stages, filters: stages.map((stage) => rule.stageFilters[stage]!) });
    });
    return routes;
  };
  const named = new Set(stageClasses.flatMap((list) => list.flatMap((classes) => (classes === undefined ? [] : [...classes]))));
  const byClass = new Map<number, readonly Route[]>();
  for (const classUid of named) byClass.set(classUid, routesWhere((classes) => classes === undefined || classes.has(classUid)));
  return { byClass, other: routesWhere((classes) => classes === undefined) };
}

/** The distinct event ids of a hand-off's columns (an event counted on several partitions is in each), sorted. */
export function eventIdsOf(lists: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  for (const ids of lists) for (const id of ids) seen.add(id);
  return [...seen].sort();
}

/**
 * The dead letter of a hand-off whose events reached the exporters but not the rules: one letter
 * naming them by `metadata.uid` (the records themselves are not kept, see `OpenGroup`), so that
 * they can be found downstream and replayed through the rules. `format` says what `original` is.
 * None when no rule would have counted any of them: nothing was lost.
 */
export function uncountedLetters(reason: 'detect_partition_failed' | 'detect_router_failed', eventIds: string[], because: string, watermark: number): DeadLetter[] {
  if (eventIds.length === 0) return [];
  return [{
    reason,
    detail: `${eventIds.length === 1 ? '1 event was' : `${eventIds.length} events were`} passed on but not counted by the detection rules: ${because}`,
    format: 'detect_uncounted_events',
    original: { event_ids: eventIds },
    observedTime: Number.isFinite(watermark) ? watermark : 0,
  }];
}

/** Sorts detections so that their order does not depend on how keys were spread over partitions. */
export function compareDetections(a: RawDetection, b: RawDetection): number {
  return a.time - b.time || a.rule - b.rule || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Where a key goes in the batch being routed: its partition and its index in that partition's key column. */
interface KeyRef {
  readonly partition: number;
  readonly index: number;
}

/**
 * Rules with the same group_by share a key slot: an event's key for a slot is read, built and
 * hashed once, however many of the slot's rules match it.
 */
function keySlots(rules: readonly RouterRule[]): { slotOf: number[]; fields: (readonly Accessor[])[] } {
  const bySignature = new Map<string, number>();
  const fields: (readonly Accessor[])[] = [];
  const slotOf = rules.map((rule) => {
    const signature = JSON.stringify(rule.definition.group_by);
    let slot = bySignature.get(signature);
    if (slot === undefined) {
      slot = fields.push(rule.keyFields) - 1;
      bySignature.set(signature, slot);
    }
    return slot;
  });
  return { slotOf, fields };
}

export interface DetectCounters {
  late: number;
  observations: number;
  detections: number;
  /** Events a rule's filter matched but that lack its group_by or counted field (not counted by that rule). */
  unkeyed: number;
  /** Batches whose evaluation failed on a partition after their events were passed on (each reported and dead-lettered). */
  partitionFailures: number;
  /** Findings downstream refused for good (dead-lettered). */
  findingsRefused: number;
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
  /** The rules' stages an event of a class can match, by class_uid (see `routeTable`). */
  private readonly routes: Map<number, readonly Route[]>;
  /** The same for the classes no filter names. */
  private readonly otherRoutes: readonly Route[];
  readonly counters: DetectCounters = { late: 0, observations: 0, detections: 0, unkeyed: 0, partitionFailures: 0, findingsRefused: 0 };
  private readonly outOfOrdernessMs: number;
  private readonly latenessMs: number;
  private readonly limits: EngineLimits;
  private readonly partitionCount: number;
  private readonly makePartitions: PartitionFactory;
  private partitions: Partition[] = [];
  /** Whether every partition takes columnar batches (`observeBatch`). */
  private columnar = false;
  /** Per partition, the columns of the batch being routed. */
  private builders: ObservationBuilder[] = [];
  /** Rule index -> key slot; per slot the group-by accessors and, for the batch being routed, its keys by group-by values. */
  private readonly slotOf: readonly number[];
  private readonly slotFields: readonly (readonly Accessor[])[];
  private readonly slotKeys: Map<string, KeyRef>[];
  /**
   * With columnar worker partitions: keys as ids that last across batches (each key's string
   * crosses to its worker once), instead of the per-batch dictionary `slotKeys`.
   */
  private keyIds: KeyIds | undefined;
  /** Alongside `keyIds`: the counted values (`value_count` fields) as ids, per partition. */
  private valueIds: KeyIds | undefined;
  private readonly keyGenerationBatches: number;
  /** A partition failed: forget every key id at the start of the next hand-off. */
  private idsStale = false;
  /**
   * With pipelining over columnar partitions, several pipeline batches share one hand-off to
   * the workers (up to `worker_batch_events` events, or what `worker_batch_timeout` collects):
   * fewer, larger messages and wake-ups. The columns mark each batch's end and watermark, and the
   * partitions tick after each, so the findings are exactly those of handing batches one by one.
   */
  private grouping = false;
  private readonly workerBatchEvents: number;
  private readonly workerBatchTimeoutMs: number;
  private open: OpenGroup | undefined;
  private groupTimer: NodeJS.Timeout | undefined;
  /** Per slot, the event whose key `slotPartition` / `slotIndex` hold (index -1: the event lacks a group-by field). */
  private readonly slotEvent: Float64Array;
  private readonly slotPartition: Int32Array;
  private readonly slotIndex: Int32Array;
  /** Numbers the routed events (stamps for the per-event slot cache and the event-id runs). */
  private eventSerial = 0;
  private readonly watermarks = new Map<string, number>();
  private host: Host | undefined;
  private state: 'created' | 'started' | 'stopped' = 'created';
  /** Batches are routed one at a time, so state sees events in one order. */
  private queue: Promise<void> = Promise.resolve();
  /**
   * Whether the partitions are on worker threads (not all inline). Then batches are pipelined:
   * `consume` resolves once a batch is routed and its events passed on, and the findings follow
   * when the partitions return them, so the router works on the next batch while the workers
   * count this one. And keys are encoded (as ids, or per batch in `slotKeys`), since the columns
   * are cloned. Inline partitions have counted by the time routing ends, so their findings go
   * with the batch; and they read the columns where they are, so each (event, slot) adds its key
   * string as built: a Map lookup and insert per new key would cost more than it saves.
   */
  private pipelined = false;
  private readonly maxBatchesInFlight: number;
  /** Per batch in flight, oldest first: settles once its findings are passed on. */
  private readonly inFlight: Promise<void>[] = [];
  /** The last batch's delivery of findings: each waits for the one before, so findings leave in batch order. */
  private delivered: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: CreateSettings,
    config: DetectConfig,
    private readonly next: Consumer,
    makePartitions: PartitionFactory = inlinePartitions,
    options: DetectProcessorOptions = {},
  ) {
    this.keyGenerationBatches = options.keyGenerationBatches ?? KEY_GENERATION_BATCHES;
    this.workerBatchEvents = config.worker_batch_events;
    this.workerBatchTimeoutMs = parseDuration(config.worker_batch_timeout);
    this.outOfOrdernessMs = parseDuration(config.allowed_out_of_orderness);
    this.latenessMs = parseDuration(config.allowed_lateness);
    this.rules = compileRules(resolveRules(config), parseDuration(config.suppress));
    ({ byClass: this.routes, other: this.otherRoutes } = routeTable(this.rules));
    ({ slotOf: this.slotOf, fields: this.slotFields } = keySlots(this.rules));
    this.slotKeys = this.slotFields.map(() => new Map());
    this.slotEvent = new Float64Array(this.slotFields.length).fill(-1);
    this.slotPartition = new Int32Array(this.slotFields.length);
    this.slotIndex = new Int32Array(this.slotFields.length);
    this.limits = { ...DEFAULT_LIMITS, latenessMs: this.latenessMs, maxKeysPerRule: config.max_keys_per_rule };
    this.partitionCount = config.workers ?? settings.workers;
    this.maxBatchesInFlight = config.max_batches_in_flight;
    this.makePartitions = this.partitionCount === 0 ? inlinePartitions : makePartitions;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    this.partitions = await this.makePartitions(this.rules.map((rule) => rule.window), this.limits, Math.max(1, this.partitionCount));
    this.columnar = this.partitions.every((partition) => typeof partition.observeBatch === 'function');
    this.pipelined = !this.partitions.every((partition) => partition instanceof InlinePartition);
    this.grouping = this.pipelined && this.columnar;
    this.keyIds = this.grouping ? new KeyIds(this.slotFields.length, this.partitions.length, this.keyGenerationBatches) : undefined;
    this.valueIds = this.keyIds !== undefined ? new KeyIds(this.partitions.length, this.partitions.length, this.keyGenerationBatches) : undefined;
    this.builders = this.partitions.map(() => new ObservationBuilder(1024, this.keyIds !== undefined));
    this.state = 'started';
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.queue.catch(() => {});
    this.dispatchOpen();
    await this.drain();
    await Promise.all(this.partitions.map((partition) => partition.close()));
    this.partitions = [];
    const { late, observations, detections, unkeyed, partitionFailures, findingsRefused } = this.counters;
    this.settings.logger.info('detector stopped', { observations, detections, late_events: late, unkeyed_matches: unkeyed, partition_failures: partitionFailures, findings_refused: findingsRefused });
  }

  metrics(): Record<string, number> {
    const { late, observations, detections, unkeyed, partitionFailures, findingsRefused } = this.counters;
    return { observations, detections, late_events: late, unkeyed_matches: unkeyed, partition_failures: partitionFailures, findings_refused: findingsRefused, batches_in_flight: this.inFlight.length, router_keys: this.keyIds?.size ?? 0, router_values: this.valueIds?.size ?? 0 };
  }

  /**
   * Resolves once every batch taken so far has passed its findings on (with worker threads,
   * findings follow their batch's events; see `pipelined`).
   */
  async settled(): Promise<void> {
    await this.enqueue(() => this.dispatchOpen());
    await this.drain();
  }

  private async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight[this.inFlight.length - 1];
  }

  consume(batch: Batch): Promise<void> {
    if (this.state !== 'started') return Promise.reject(new PermanentError(this.state === 'stopped' ? 'shut_down' : 'not_started', `${this.settings.id} is not running`));
    const run = this.queue.then(() => this.process(batch));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * End of input (`authwire replay`, tests): judges everything still open — absences and lt/lte
   * windows — as if the watermark had passed it, and sends those findings on. A live pipeline
   * never calls it: a shutdown is not the end of the stream, and judging early would report
   * absences whose match could still arrive.
   */
  flush(): Promise<void> {
    if (this.state !== 'started') return Promise.reject(new PermanentError(this.state === 'stopped' ? 'shut_down' : 'not_started', `${this.settings.id} is not running`));
    const run = this.queue.then(() => this.dispatchOpen()).then(() => this.drain()).then(() => this.flushAll());
    this.queue = run.catch(() => {});
    return run;
  }

  private async flushAll(): Promise<void> {
    for (const tenant of [...this.watermarks.keys()].sort()) {
      const end = new Map([[tenant, Number.POSITIVE_INFINITY]]);
      const due = await Promise.all(this.partitions.map((partition) => partition.tick(end)));
      const detections = due.flat().sort(compareDetections);
      this.counters.detections += detections.length;
      if (detections.length > 0) await this.next.consume({ tenant, records: detections.map((detection) => buildFinding(this.rules[detection.rule]!, detection)) });
    }
  }

  private async process(batch: Batch): Promise<void> {
    const tenant = batch.tenant;
    if (!this.pipelined) {
      this.startColumns(tenant);
      const { letters, watermark } = this.routeBatch(batch);
      const detections = (await this.evaluate(this.builders.map((builder) => builder.take(this.pipelined)), tenant, watermark, 0))[0]!;
      if (letters !== undefined) await this.host!.deadLetter(tenant, letters);
      const findings = this.findingsOf(detections);
      const out = findings.length > 0 ? [...batch.records, ...findings] : batch.records;
      if (out.length > 0) await this.next.consume(findings.length > 0 ? { tenant, records: out } : batch);
      return;
    }
    if (this.open !== undefined && this.open.tenant !== tenant) this.dispatch();
    if (this.open === undefined) {
      // Bounded pipelining: the oldest hand-off's findings out before another one starts.
      while (this.inFlight.length >= this.maxBatchesInFlight) await this.inFlight[0];
      this.startColumns(tenant);
      this.open = { tenant, batches: 0, passedOn: [], events: 0, watermark: Number.NEGATIVE_INFINITY };
    }
    const group = this.open;
    let routed: { letters: DeadLetter[] | undefined; watermark: number };
    try {
      routed = this.routeBatch(batch);
    } catch (error) {
      // A bug routing this batch (it is refused, so it comes again or is dead-lettered upstream):
      // the open columns hold part of it, so they are dropped, with the batches before it.
      await this.abandonOpen(error);
      throw error;
    }
    const { letters, watermark } = routed;
    if (this.grouping) for (const builder of this.builders) builder.endSegment(watermark);
    group.batches++;
    group.events += batch.records.length;
    group.watermark = watermark;
    const passedOn = (async () => {
      if (letters !== undefined) await this.host!.deadLetter(tenant, letters);
      if (batch.records.length > 0) await this.next.consume(batch);
    })();
    group.passedOn.push(passedOn);
    if (!this.grouping || group.events >= this.workerBatchEvents) this.dispatch();
    else if (this.groupTimer === undefined) {
      this.groupTimer = setTimeout(() => this.enqueue(() => (this.open === group ? this.dispatch() : undefined)), this.workerBatchTimeoutMs);
      this.groupTimer.unref();
    }
    await passedOn;
  }

  /** Runs `task` in turn with the batches (after those taken so far). */
  private enqueue(task: () => void | Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch((error: unknown) => this.host?.reportError(error));
    return run;
  }

  /** New columns for every partition; with key ids, a batch boundary for their generations. */
  private startColumns(tenant: string): void {
    const builders = this.builders;
    // One tenant per hand-off: its index in every partition's columns is 0.
    for (let i = 0; i < builders.length; i++) {
      builders[i]!.clear();
      builders[i]!.addTenant(tenant);
    }
    if (this.keyIds !== undefined) {
      if (this.idsStale) {
        this.keyIds.reset();
        this.valueIds!.reset();
        this.idsStale = false;
      }
      this.keyIds.startBatch(tenant);
      this.valueIds!.startBatch(tenant);
    } else for (let slot = 0; slot < this.slotKeys.length; slot++) this.slotKeys[slot]!.clear();
  }

  /** Routes a batch's events into the open columns; late ones become dead letters. */
  private routeBatch(batch: Batch): { letters: DeadLetter[] | undefined; watermark: number } {
    const tenant = batch.tenant;
    let watermark = this.watermarks.get(tenant) ?? Number.NEGATIVE_INFINITY;
    let letters: DeadLetter[] | undefined;
    const records = batch.records;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
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
      this.route(record, tenant, time, watermark);
    }
    this.watermarks.set(tenant, watermark);
    return { letters, watermark };
  }

  /** Hands the open columns to the partitions; their findings follow the group's events, in order. */
  private dispatch(): void {
    const group = this.open!;
    this.open = undefined;
    if (this.groupTimer !== undefined) {
      clearTimeout(this.groupTimer);
      this.groupTimer = undefined;
    }
    const columns = this.builders.map((builder) => builder.take(this.pipelined));
    const evaluation = this.evaluate(columns, group.tenant, group.watermark, this.grouping ? group.batches : 0);
    // Settled at once, so that a failure waiting for its turn is not an unhandled rejection. The
    // columns (the calls hold them until they return anyway) give the ids of what went uncounted.
    const outcome = evaluation.then(
      (segments): EvaluationOutcome => ({ segments }),
      (error: unknown): EvaluationOutcome => ({ error, eventIds: eventIdsOf(columns.map((c) => c.uids)) }),
    );
    const previous = this.delivered;
    const delivery = (async () => {
      await previous;
      // Findings follow their batches' events: after them, whether or not downstream took those (a refused batch comes back as a new one).
      for (const passedOn of group.passedOn) await passedOn.catch(() => {});
      try {
        await this.deliver(group.tenant, group.watermark, await outcome);
      } catch (error) {
        // A bug building findings: reported, never an unhandled rejection that stops the process.
        this.host!.reportError(error);
      }
    })();
    this.delivered = delivery;
    this.inFlight.push(delivery);
    void delivery.finally(() => this.inFlight.splice(this.inFlight.indexOf(delivery), 1));
  }

  /**
   * Drops the open columns: their batches' events were passed on but will not be counted, so they
   * are dead-lettered (reason `detect_router_failed`), and every key id is sent again afterwards.
   */
  private async abandonOpen(error: unknown): Promise<void> {
    const group = this.open;
    if (group === undefined) return;
    this.open = undefined;
    if (this.groupTimer !== undefined) {
      clearTimeout(this.groupTimer);
      this.groupTimer = undefined;
    }
    const eventIds = eventIdsOf(this.builders.map((builder) => builder.eventIds()));
    for (const builder of this.builders) builder.clear();
    this.idsStale = true;
    const because = `routing a later batch of the same hand-off failed (${errorMessage(error)})`;
    await this.deadLetterSafely(group.tenant, uncountedLetters('detect_router_failed', eventIds, because, group.watermark));
  }

  private dispatchOpen(): void {
    if (this.open !== undefined) this.dispatch();
  }

  /**
   * Sends the routed columns to the partitions; resolves with the detections per pipeline batch
   * (`segments` of them; 0: the columns hold one batch, without segments), each in output order.
   */
  private async evaluate(columns: ObservationColumns[], tenant: string, watermark: number, segments: number): Promise<RawDetection[][]> {
    const partitions = this.partitions;
    let lists: RawDetection[][];
    if (this.columnar) lists = await Promise.all(partitions.map((partition, i) => partition.observeBatch!(columns[i]!, tenant, watermark)));
    else {
      const observed = await Promise.all(partitions.map((partition, i) => (columns[i]!.count > 0 ? partition.observe(decodeObservations(columns[i]!)) : Promise.resolve([]))));
      const ticks = new Map([[tenant, watermark]]);
      lists = [...observed, ...(await Promise.all(partitions.map((partition) => partition.tick(ticks))))];
    }
    let bySegment: RawDetection[][];
    if (segments === 0) bySegment = [lists.length === 1 ? lists[0]! : lists.flat()];
    else {
      bySegment = Array.from({ length: segments }, () => []);
      // Partition by partition, so that detections that tie keep their partition's order.
      for (const list of lists) for (const detection of list) bySegment[detection.segment!]!.push(detection);
    }
    for (const detections of bySegment) {
      // Stable sort: detections that tie (one key, so one partition) keep the partition's order.
      detections.sort(compareDetections);
      this.counters.detections += detections.length;
    }
    return bySegment;
  }

  private findingsOf(detections: readonly RawDetection[]): PipelineRecord[] {
    return detections.map((detection) => buildFinding(this.rules[detection.rule]!, detection));
  }

  /**
   * A pipelined batch's end: its findings passed on. A retryable refusal is retried with back-off
   * while the processor runs (the batches behind wait, which holds the receivers back), then
   * dead-lettered; a permanent one is dead-lettered at once. When a partition failed, the batch's
   * events were already passed on and cannot be refused any more: the failure is reported and the
   * ids of the events it did not count are dead-lettered (`uncountedLetters`), so that they can be
   * found downstream and replayed through the rules.
   */
  private async deliver(tenant: string, watermark: number, outcome: EvaluationOutcome): Promise<void> {
    if ('error' in outcome) {
      this.counters.partitionFailures++;
      // The partition's thread may have restarted with no key ids: every key is sent again, from
      // the next hand-off on (the open one has ids from before; it fails the same way if so).
      this.idsStale = true;
      this.host!.reportError(outcome.error);
      await this.deadLetterSafely(tenant, uncountedLetters('detect_partition_failed', outcome.eventIds, errorMessage(outcome.error), watermark));
      return;
    }
    let findings: PipelineRecord[] = [];
    for (const detections of outcome.segments) if (detections.length > 0) findings = findings.concat(this.findingsOf(detections));
    if (findings.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.next.consume({ tenant, records: findings });
        return;
      } catch (error) {
        if (!isRetryable(error) || this.state !== 'started') {
          this.counters.findingsRefused += findings.length;
          this.host!.reportError(error);
          const detail = `the detector's findings were refused downstream (${errorCode(error)}): ${errorMessage(error)}`;
          await this.deadLetterSafely(tenant, findings.map((finding) => ({ reason: 'detect_findings_refused', detail, format: 'detection_finding', original: finding, observedTime: (finding as { time: number }).time })));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
  }

  private async deadLetterSafely(tenant: string, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.host!.deadLetter(tenant, letters);
    } catch (error) {
      this.host!.reportError(error);
    }
  }

  /**
   * Tests the event against the stages its class can match and adds an observation, to the
   * partition its key hashes to, for each stage that matches (a rule whose key or counted field
   * the event lacks takes none of its stages).
   */
  private route(event: PipelineRecord & { class_uid: number; time: number; metadata: { uid?: string } }, tenant: string, time: number, watermark: number): void {
    const routes = this.routes.get(event.class_uid) ?? this.otherRoutes;
    if (routes.length === 0) return;
    const serial = ++this.eventSerial;
    const uid = typeof event.metadata?.uid === 'string' ? event.metadata.uid : '';
    for (let r = 0; r < routes.length; r++) {
      const route = routes[r]!;
      const filters = route.filters;
      for (let s = 0; s < filters.length; s++) {
        if (!filters[s]!(event)) continue;
        const rule = route.rule;
        const slot = this.slotOf[rule.index]!;
        if (this.slotEvent[slot] !== serial) {
          this.keyRef(slot, event, tenant);
          this.slotEvent[slot] = serial;
        }
        const keyIndex = this.slotIndex[slot]!;
        if (keyIndex < 0) {
          this.counters.unkeyed++;
          break;
        }
        let value: string | undefined;
        if (rule.valueField !== undefined) {
          value = keyPart(rule.valueField(event));
          if (value === undefined) {
            this.counters.unkeyed++;
            break;
          }
        }
        let weight = 1;
        const weights = rule.weights;
        for (let w = 0; w < weights.length; w++) if (weights[w]!.filter(event)) weight *= weights[w]!.weight;
        this.counters.observations++;
        const partition = this.slotPartition[slot]!;
        let valueId = -1;
        const valueIds = this.valueIds;
        if (value !== undefined && valueIds !== undefined) {
          // Counted values as ids too, one namespace per partition (a value may be counted on several).
          let ref = valueIds.lookup(partition, value);
          if (ref < 0) {
            ref = valueIds.define(partition, value, partition);
            this.builders[partition]!.defineValue(idOfRef(ref), value);
          }
          valueId = idOfRef(ref);
          value = undefined;
        }
        this.builders[partition]!.add(rule.index, route.stages[s]!, 0, keyIndex, serial, uid, time, value, weight, watermark, valueId);
      }
    }
  }

  /**
   * Sets `slotPartition` / `slotIndex` to the event's key for a slot in the batch being routed
   * (index -1 when it lacks a group-by field).
   */
  private keyRef(slot: number, event: unknown, tenant: string): void {
    const fields = this.slotFields[slot]!;
    if (!this.pipelined) {
      let key = tenant;
      for (let f = 0; f < fields.length; f++) {
        const part = keyPart(fields[f]!(event));
        if (part === undefined) {
          this.slotIndex[slot] = -1;
          return;
        }
        key = key + KEY_SEPARATOR + part;
      }
      const builders = this.builders;
      const partition = builders.length === 1 ? 0 : partitionOf(key, builders.length);
      this.slotPartition[slot] = partition;
      this.slotIndex[slot] = builders[partition]!.addKey(key);
      return;
    }
    let values = '';
    for (let f = 0; f < fields.length; f++) {
      const part = keyPart(fields[f]!(event));
      if (part === undefined) {
        this.slotIndex[slot] = -1;
        return;
      }
      values = f === 0 ? part : values + KEY_SEPARATOR + part;
    }
    const ids = this.keyIds;
    if (ids !== undefined) {
      let ref = ids.lookup(slot, values);
      if (ref < 0) {
        const count = this.builders.length;
        const partition = fields.length === 0 ? partitionOf(tenant, count) : partitionOfParts(tenant, values, count);
        ref = ids.define(slot, values, partition);
        this.builders[partition]!.defineKey(idOfRef(ref), fields.length === 0 ? tenant : tenant + KEY_SEPARATOR + values);
      }
      this.slotPartition[slot] = partitionOfRef(ref);
      this.slotIndex[slot] = idOfRef(ref);
      return;
    }
    const known = this.slotKeys[slot]!;
    let ref = known.get(values);
    if (ref === undefined) {
      const key = fields.length === 0 ? tenant : tenant + KEY_SEPARATOR + values;
      const partition = fields.length === 0 ? partitionOf(tenant, this.builders.length) : partitionOfParts(tenant, values, this.builders.length);
      ref = { partition, index: this.builders[partition]!.addKey(key) };
      known.set(values, ref);
    }
    this.slotPartition[slot] = ref.partition;
    this.slotIndex[slot] = ref.index;
  }
}
