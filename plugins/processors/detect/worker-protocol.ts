/**
 * What crosses the thread boundary between the detect processor (main thread) and a partition's
 * worker thread: the task and reply shapes, and the columnar encoding of an observation batch.
 *
 * Rules of the boundary:
 * - Batches, never single observations, cross it: one `observe` task per partition per pipeline
 *   batch, carrying its observations and the watermark to tick to after them (one round trip).
 *   (`tick` remains a task of its own for `Partition.tick`, and `observe` without a tick for
 *   `Partition.observe`.)
 * - An observation batch travels as columns: the numeric fields (rule, stage, time, weight,
 *   watermark, and indexes into the string arrays) packed in one Float64Array whose buffer is
 *   *moved* (transferred, not copied), the strings as plain arrays (structured clone copies
 *   strings; there is no cheaper way to hand a JS string to another isolate). Strings are sent
 *   once where they repeat: tenants and keys are dictionary-encoded (rules grouped by the same
 *   field produce the same key), an event id once per run of observations of that event. The
 *   router writes the columns directly (`ObservationBuilder`); the engine reads them directly
 *   (`WindowEngine.observeColumns`): no Observation object exists on either side.
 *   Compared with cloning an array of Observation objects this saves cloning property names,
 *   object headers and repeated strings; bench/detect.bench.ts measures both (`encoding:
 *   'objects'` keeps the plain form available for that comparison).
 * - Detections come back as plain RawDetection objects (structured clone): there are few.
 * - A reply is `{ ok: true, ... }` or `{ ok: false, code, message }`: an error the engine threw
 *   while the thread stayed alive is reported as data, so that the caller can tell it (a bug, or
 *   bad input: not retryable) from a thread that died (retryable: the partition restarts).
 *
 * This module is imported on both sides and holds no state.
 */
import type { EngineLimits, Observation, RawDetection, WindowRule } from './engine.js';

/**
 * Numbers per observation in `ObservationColumns.numbers`: rule, stage, tenant index, key index,
 * uid index, time, weight, watermark, value id (-1: none, or the value is in `values`).
 */
export const STRIDE = 9;

export interface ObservationColumns {
  readonly count: number;
  /** STRIDE numbers per observation (it may be longer: only the first `count` observations count); its buffer is transferred. */
  readonly numbers: Float64Array;
  /** The distinct tenants of the batch, indexed from `numbers`. */
  readonly tenants: string[];
  /**
   * Without `keyIds`: the distinct keys of the batch (rules grouped by the same field share them),
   * indexed from `numbers`. With `keyIds`: the keys first used in this batch, `keys[i]` being the
   * key of id `keyIds[i]`, and `numbers` holds ids, resolved through the receiving partition's
   * table of the ids defined so far (see key-ids.ts).
   */
  readonly keys: string[];
  readonly keyIds?: number[];
  /**
   * Without `valueIds`: one per observation. With `valueIds` (keys as ids too): the counted
   * values first used in this batch, `values[i]` being the value of id `valueIds[i]`; an
   * observation's value is then its id in `numbers` (-1: none), resolved like a key id.
   */
  readonly values: (string | undefined)[];
  readonly valueIds?: number[];
  /** Event ids, once per run of observations of one event (an event matching several rules), indexed from `numbers`. */
  readonly uids: string[];
  /**
   * Several pipeline batches in one hand-off: where each batch's observations end (a count) and
   * the watermark to tick to after them (see `WindowEngine.observeSegments`).
   */
  readonly segmentEnds?: number[];
  readonly segmentWatermarks?: number[];
}

export interface PartitionStats {
  /** Keys currently tracked, over all rules. */
  readonly keys: number;
  readonly keysOverflowed: number;
  readonly entriesEvicted: number;
}

export type WorkerTask =
  | { readonly op: 'init'; readonly partition: number; readonly rules: readonly WindowRule[]; readonly limits: EngineLimits }
  /** With `tick`: a pipeline batch's observations, then its tenant's watermark (observe and tick in one round trip). */
  | { readonly op: 'observe'; readonly partition: number; readonly columns: ObservationColumns; readonly tick?: { readonly tenant: string; readonly watermark: number } }
  | { readonly op: 'observe_objects'; readonly partition: number; readonly observations: readonly Observation[] }
  | { readonly op: 'tick'; readonly partition: number; readonly tenants: readonly string[]; readonly watermarks: readonly number[] }
  | { readonly op: 'stats'; readonly partition: number }
  | { readonly op: 'dispose'; readonly partition: number };

export type WorkerReply =
  | { readonly ok: true; readonly detections: RawDetection[]; readonly stats?: PartitionStats }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Packs observations into columns; the caller transfers `numbers.buffer`. */
export function encodeObservations(observations: readonly Observation[]): ObservationColumns {
  const count = observations.length;
  const numbers = new Float64Array(count * STRIDE);
  const tenants: string[] = [];
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const values: (string | undefined)[] = new Array(count);
  const uids: string[] = [];
  let lastTenant: string | undefined;
  let lastTenantIndex = -1;
  let lastUid: string | undefined;
  for (let i = 0, at = 0; i < count; i++, at += STRIDE) {
    const o = observations[i]!;
    if (o.tenant !== lastTenant) {
      lastTenant = o.tenant;
      lastTenantIndex = tenants.indexOf(o.tenant);
      if (lastTenantIndex < 0) lastTenantIndex = tenants.push(o.tenant) - 1;
    }
    let key = keyIndex.get(o.key);
    if (key === undefined) {
      key = keys.push(o.key) - 1;
      keyIndex.set(o.key, key);
    }
    if (o.uid !== lastUid) {
      lastUid = o.uid;
      uids.push(o.uid);
    }
    numbers[at] = o.rule;
    numbers[at + 1] = o.stage;
    numbers[at + 2] = lastTenantIndex;
    numbers[at + 3] = key;
    numbers[at + 4] = uids.length - 1;
    numbers[at + 5] = o.time;
    numbers[at + 6] = o.weight;
    numbers[at + 7] = o.watermark;
    numbers[at + 8] = -1;
    values[i] = o.value;
  }
  return { count, numbers, tenants, keys, values, uids };
}

/**
 * Unpacks columns into the observations the engine takes (one object shape). Columns with key
 * ids need the partition's `keyTable` (id -> key), which their definitions update.
 */
export function decodeObservations(columns: ObservationColumns, keyTable?: string[], valueTable?: string[]): Observation[] {
  const { count, numbers, tenants, uids } = columns;
  const keys = resolveKeys(columns, keyTable);
  const valueIds = resolveValues(columns, valueTable);
  const observations: Observation[] = new Array(count);
  for (let i = 0, at = 0; i < count; i++, at += STRIDE) {
    observations[i] = {
      rule: numbers[at]!,
      stage: numbers[at + 1]!,
      tenant: tenants[numbers[at + 2]!]!,
      key: keys[numbers[at + 3]!]!,
      time: numbers[at + 5]!,
      value: valueIds === undefined ? columns.values[i] : numbers[at + 8]! < 0 ? undefined : valueIds[numbers[at + 8]!],
      weight: numbers[at + 6]!,
      uid: uids[numbers[at + 4]!]!,
      watermark: numbers[at + 7]!,
    };
  }
  return observations;
}

/** The key column to index with `numbers`: the batch's own keys, or the table after the batch's definitions. */
export function resolveKeys(columns: ObservationColumns, keyTable: string[] | undefined): readonly string[] {
  const keyIds = columns.keyIds;
  if (keyIds === undefined) return columns.keys;
  if (keyTable === undefined) throw new Error("columns with key ids need the partition's key table");
  const keys = columns.keys;
  for (let i = 0; i < keyIds.length; i++) keyTable[keyIds[i]!] = keys[i]!;
  return keyTable;
}

/** With value ids: the table after the batch's definitions (index it with `numbers[at + 8]`); otherwise undefined. */
export function resolveValues(columns: ObservationColumns, valueTable: string[] | undefined): readonly string[] | undefined {
  const valueIds = columns.valueIds;
  if (valueIds === undefined) return undefined;
  if (valueTable === undefined) throw new Error("columns with value ids need the partition's value table");
  const values = columns.values;
  for (let i = 0; i < valueIds.length; i++) valueTable[valueIds[i]!] = values[i]!;
  return valueTable;
}

/**
 * Builds one partition's columns for one batch as the router finds observations, with no
 * Observation object in between. Keys are added once per batch by the router (it remembers their
 * index); an event id once per run of observations of one event (`event` numbers the events).
 */
export class ObservationBuilder {
  private count = 0;
  private numbers: Float64Array;
  private tenants: string[] = [];
  private keys: string[] = [];
  private keyIds: number[] | undefined;
  private valueIds: number[] | undefined;
  private values: (string | undefined)[] = [];
  private uids: string[] = [];
  private segmentEnds: number[] | undefined;
  private segmentWatermarks: number[] | undefined;
  private lastEvent = -1;
  /** Observations of the largest batch so far: the next batch's first guess at its size. */
  private capacity: number;

  /** Whether observations carry key ids (`defineKey`) rather than indexes into the batch's keys (`addKey`). */
  constructor(
    capacity = 1024,
    private readonly withKeyIds = false,
  ) {
    this.capacity = capacity;
    this.numbers = new Float64Array(capacity * STRIDE);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a tenant for this batch; returns its index. */
  addTenant(tenant: string): number {
    return this.tenants.push(tenant) - 1;
  }

  /** Adds a key for this batch; returns its index. */
  addKey(key: string): number {
    return this.keys.push(key) - 1;
  }

  /** Defines key id `id` (see key-ids.ts); observations then use the id as their key index. */
  defineKey(id: number, key: string): void {
    this.keys.push(key);
    (this.keyIds ??= []).push(id);
  }

  /** Ends the observations of one pipeline batch: the partition ticks to `watermark` after them. */
  endSegment(watermark: number): void {
    (this.segmentEnds ??= []).push(this.count);
    (this.segmentWatermarks ??= []).push(watermark);
  }

  /** Defines value id `id` (with key ids only); observations then pass it as `valueId`. */
  defineValue(id: number, value: string): void {
    this.values.push(value);
    (this.valueIds ??= []).push(id);
  }

  /** With ids: `value` is undefined and `valueId` the value's id (-1: none). */
  add(rule: number, stage: number, tenant: number, key: number, event: number, uid: string, time: number, value: string | undefined, weight: number, watermark: number, valueId = -1): void {
    if (this.count === 0 && this.numbers.byteLength === 0) this.numbers = new Float64Array(this.capacity * STRIDE); // the last one was moved
    if (event !== this.lastEvent) {
      this.lastEvent = event;
      this.uids.push(uid);
    }
    if (this.count === this.capacity) this.grow();
    const numbers = this.numbers;
    const at = this.count * STRIDE;
    numbers[at] = rule;
    numbers[at + 1] = stage;
    numbers[at + 2] = tenant;
    numbers[at + 3] = key;
    numbers[at + 4] = this.uids.length - 1;
    numbers[at + 5] = time;
    numbers[at + 6] = weight;
    numbers[at + 7] = watermark;
    numbers[at + 8] = valueId;
    if (!this.withKeyIds) this.values.push(value);
    this.count++;
  }

  /**
   * The batch's columns; the builder starts a new batch. `numbers` may be transferred: a moved
   * buffer is replaced, one that stayed (an inline partition has read it by the time the next
   * batch is routed) is written over by the next batch, sparing an allocation per batch, unless
   * `handOver` says the caller may still read it then (batches in flight to worker threads).
   */
  take(handOver = false): ObservationColumns {
    // Nothing added since the last buffer was moved: an empty one (a moved buffer cannot be sent again).
    if (this.numbers.byteLength === 0) this.numbers = new Float64Array(0);
    // With ids, empty lists too: they tell the partition that `numbers` holds ids.
    let columns: ObservationColumns = this.withKeyIds
      ? { count: this.count, numbers: this.numbers, tenants: this.tenants, keys: this.keys, keyIds: this.keyIds ?? [], values: this.values, valueIds: this.valueIds ?? [], uids: this.uids }
      : { count: this.count, numbers: this.numbers, tenants: this.tenants, keys: this.keys, values: this.values, uids: this.uids };
    if (this.segmentEnds !== undefined) columns = { ...columns, segmentEnds: this.segmentEnds, segmentWatermarks: this.segmentWatermarks! };
    // The caller keeps the columns past the next batch (queued for a worker thread): the next batch gets a buffer of its own.
    if (handOver) this.numbers = new Float64Array(0);
    this.reset();
    return columns;
  }

  /** The event ids added since the last `take` (one per event routed here). */
  eventIds(): readonly string[] {
    return this.uids;
  }

  /** Forgets a batch left unfinished (routing threw). */
  clear(): void {
    if (this.tenants.length > 0 || this.count > 0 || this.keys.length > 0 || this.values.length > 0) this.reset();
  }

  /** Starts an empty batch (the numbers buffer stays, to be written over). */
  private reset(): void {
    this.count = 0;
    this.tenants = [];
    this.keys = [];
    this.keyIds = undefined;
    this.valueIds = undefined;
    this.values = [];
    this.uids = [];
    this.segmentEnds = undefined;
    this.segmentWatermarks = undefined;
    this.lastEvent = -1;
  }

  private grow(): void {
    this.capacity *= 2;
    const numbers = new Float64Array(this.capacity * STRIDE);
    numbers.set(this.numbers);
    this.numbers = numbers;
  }
}
