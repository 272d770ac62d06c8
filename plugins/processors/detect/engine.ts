/**
 * The windowed state machine of the detector: keyed, event-time, deterministic. One engine holds
 * the state of one partition (a worker thread, or the main thread when `workers: 0`). It sees only
 * observations, plain data the router extracted from events, so it runs the same on any thread.
 *
 * Semantics (see the README, "Semantics"):
 * - A window is half-open and slides: events at times a and b fall in one window of length T when
 *   |a - b| < T. A count rule is evaluated over the window (t - T, t] ending at each event it
 *   sees; an event that arrives out of order is also counted into the windows of the later events
 *   it now belongs to.
 * - `gt`/`gte`/`eq` conditions fire as soon as a window meets them, at the time of the event that
 *   made it so. `lt`/`lte` conditions ("fewer than") can only be judged when a window is complete:
 *   the window [x, x + T) opened by each event x is judged once the watermark passes x + T.
 * - Absence: an A with no B of the same key within T (after A, before A, or either) is judged
 *   once the watermark passes the end of that range; the detection's time is the range end.
 * - The watermark per tenant comes with every observation (the router computes it); state older
 *   than what a still-acceptable event could reach is evicted.
 * - One detection per (rule, key) per suppression period; repeats are counted and carried on the
 *   next detection.
 */

import { resolveKeys, resolveValues, STRIDE } from './worker-protocol.js';
import type { ObservationColumns } from './worker-protocol.js';

export type WindowKind = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'absence';
export type ConditionOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq';

export interface Condition {
  readonly op: ConditionOp;
  readonly value: number;
}

/** The part of a rule a partition needs: plain data, structured-clonable to a worker. */
export interface WindowRule {
  readonly index: number;
  readonly kind: WindowKind;
  readonly timespanMs: number;
  readonly suppressMs: number;
  /** Count kinds: the threshold. */
  readonly condition: Condition;
  /** Temporal kinds: one condition per stage (in order for temporal_ordered). */
  readonly stages: readonly Condition[];
  /** Absence: where B must be, relative to A. */
  readonly direction: 'before' | 'after' | 'either';
}

/** One event as one rule sees it. */
export interface Observation {
  readonly rule: number;
  /** Temporal: the stage the event matched; absence: 0 for A, 1 for B; otherwise 0. */
  readonly stage: number;
  readonly tenant: string;
  /** The group-by key, tenant included. */
  readonly key: string;
  readonly time: number;
  /** value_count: the value counted distinct; otherwise undefined. */
  readonly value: string | undefined;
  readonly weight: number;
  /** The event's metadata.uid, for related_events. */
  readonly uid: string;
  /** The tenant's watermark after this event (max event time - allowed out-of-orderness). */
  readonly watermark: number;
}

export interface EngineLimits {
  /** Events older than watermark - lateness are refused upstream; state is kept this long past its window. */
  readonly latenessMs: number;
  /** Keys per rule this partition tracks; observations for new keys beyond it are counted, not tracked. */
  readonly maxKeysPerRule: number;
  /** Entries per key; the oldest are dropped past it (counted). */
  readonly maxEntriesPerKey: number;
  /** Distinct values and related event ids a detection carries. */
  readonly maxValues: number;
  readonly maxRelated: number;
  /** false: evaluate every window by scanning it (the reference the running totals are tested against). */
  readonly incremental?: boolean;
}

export const DEFAULT_LIMITS: EngineLimits = { latenessMs: 60_000, maxKeysPerRule: 100_000, maxEntriesPerKey: 10_000, maxValues: 20, maxRelated: 50 };

/** A detection as a partition reports it; the processor turns it into an OCSF Detection Finding. */
export interface RawDetection {
  rule: number;
  tenant: string;
  key: string;
  /** Event time of the detection: the event that crossed the threshold, or the end of the judged range. */
  time: number;
  /** The weighted count (or distinct count) that met the condition. */
  count: number;
  /** The distinct values (value_count) or the group-by key's events' values, bounded. */
  values: string[];
  firstSeen: number;
  lastSeen: number;
  related: string[];
  /** Detections of this (rule, key) suppressed since the previous one. */
  suppressed: number;
  /** With segmented columns (several pipeline batches in one hand-off): the batch it belongs to. */
  segment?: number;
}

export interface EngineCounters {
  keysOverflowed: number;
  entriesEvicted: number;
}
/**
 * Entries of one key, sorted by time, in parallel arrays (no object per entry). The live entries
 * are those from `head` on: dropping the oldest moves `head` (O(1)), and the arrays are compacted
 * once at least half of them is dropped (amortized O(1) per dropped entry). Columns that hold
 * their default for every entry so far (weight 1, no value, stage 0) are not allocated: most keys
 * of most rules need only `times` and `uids`.
 */
interface KeyState {
  head: number;
  times: number[];
  uids: string[];
  /** undefined: every entry weighs 1. */
  weights: number[] | undefined;
  /** undefined: no entry has a value. */
  values: (string | undefined)[] | undefined;
  /** undefined: every entry is stage 0. */
  stages: number[] | undefined;
  lastFired: number;
  suppressed: number;
  /**
   * Count rules that fire as soon as a window meets them (gt / gte / eq) keep the window ending at
   * their newest entry, entries [start, last], up to date as entries arrive, leave or are dropped:
   * its weight sum, and per distinct value the weights of its entries in it (`DistinctCounter`).
   */
  start: number;
  sum: number;
  distinct: DistinctCounter | undefined;
  /**
   * Temporal rules: per stage, the newest time of any entry of that stage this key has held (an
   * upper bound once entries are dropped). A window starting at or after it holds no entry of the
   * stage, so a stage that needs one cannot be met there: judged without scanning the window.
   */
  latest: number[] | undefined;
  /** The serial of this key's item in the expiry heap; 0: none (the next entry arms it). */
  armed: number;
}

/** A value's entries in a running window: how many, the highest weight, and the other weights. */
interface DistinctValue {
  count: number;
  max: number;
  /** Entries with the highest weight. */
  atMax: number;
  /** Weights below `max` as pairs [weight, entries, weight, entries, ...]; undefined when none. */
  below: number[] | undefined;
}

/**
 * The distinct values of a multiset of (value, weight) entries, each value counted once at the
 * highest weight it has: `sum` is that total. Adding or removing an entry costs O(1) plus the
 * number of distinct weights the value has below its highest (a handful: an event's weight is a
 * product of its rule's few weight entries), never a rescan of the window. Removing an entry that
 * is not there is a caller error.
 */
export class DistinctCounter {
  private readonly map = new Map<string, DistinctValue>();
  sum = 0;

  /** Distinct values held. */
  get size(): number {
    return this.map.size;
  }

  add(value: string, weight: number): void {
    const seen = this.map.get(value);
    if (seen === undefined) {
      this.map.set(value, { count: 1, max: weight, atMax: 1, below: undefined });
      this.sum += weight;
      return;
    }
    seen.count++;
    if (weight > seen.max) {
      this.sum += weight - seen.max;
      addPair(seen, seen.max, seen.atMax);
      seen.max = weight;
      seen.atMax = 1;
    } else if (weight === seen.max) seen.atMax++;
    else addPair(seen, weight, 1);
  }

  remove(value: string, weight: number): void {
    const seen = this.map.get(value)!;
    if (--seen.count === 0) {
      this.map.delete(value);
      this.sum -= seen.max;
      return;
    }
    if (weight !== seen.max) {
      removePair(seen, weight);
      return;
    }
    if (--seen.atMax > 0) return;
    // The last entry with the highest weight left: the next highest takes over.
    const below = seen.below!;
    let best = 0;
    for (let k = 2; k < below.length; k += 2) if (below[k]! > below[best]!) best = k;
    const max = below[best]!;
    this.sum += max - seen.max;
    seen.max = max;
    seen.atMax = below[best + 1]!;
    below.splice(best, 2);
    if (below.length === 0) seen.below = undefined;
  }

  /** The highest weight `value` has, or undefined when it is not held. */
  weightOf(value: string): number | undefined {
    return this.map.get(value)?.max;
  }

  /** Forgets everything; the sum restarts at exactly 0. */
  clear(): void {
    this.map.clear();
    this.sum = 0;
  }
}

function addPair(seen: DistinctValue, weight: number, entries: number): void {
  const below = seen.below;
  if (below === undefined) {
    seen.below = [weight, entries];
    return;
  }
  for (let k = 0; k < below.length; k += 2) {
    if (below[k] === weight) {
      below[k + 1]! += entries;
      return;
    }
  }
  below.push(weight, entries);
}

function removePair(seen: DistinctValue, weight: number): void {
  const below = seen.below!;
  for (let k = 0; k < below.length; k += 2) {
    if (below[k] !== weight) continue;
    if (--below[k + 1]! === 0) {
      below.splice(k, 2);
      if (below.length === 0) seen.below = undefined;
    }
    return;
  }
}

interface Due {
  /** `judge`: an absence or lt/lte window; `release`: forget a key once its suppression ends. */
  readonly kind: 'judge' | 'release';
  readonly at: number;
  readonly rule: number;
  readonly key: string;
  readonly time: number;
  readonly uid: string;
}

/** A key's state holding its first entry (columns at their defaults stay unallocated). */
function newKeyState(time: number, uid: string, weight: number, value: string | undefined, stage: number): KeyState {
  return {
    head: 0,
    times: [time],
    uids: [uid],
    weights: weight === 1 ? undefined : [weight],
    values: value === undefined ? undefined : [value],
    stages: stage === 0 ? undefined : [stage],
    lastFired: Number.NEGATIVE_INFINITY,
    suppressed: 0,
    start: 0,
    sum: 0,
    distinct: undefined,
    latest: undefined,
    armed: 0,
  };
}

function weightAt(state: KeyState, i: number): number {
  const weights = state.weights;
  return weights === undefined ? 1 : weights[i]!;
}

function valueAt(state: KeyState, i: number): string | undefined {
  const values = state.values;
  return values === undefined ? undefined : values[i];
}

function stageAt(state: KeyState, i: number): number {
  const stages = state.stages;
  return stages === undefined ? 0 : stages[i]!;
}

/** `length` copies of `value`, packed (not a holey `new Array(n)`). */
function filled<T>(length: number, value: T): T[] {
  const column: T[] = [];
  for (let i = 0; i < length; i++) column.push(value);
  return column;
}

function meets(condition: Condition, count: number): boolean {
  switch (condition.op) {
    case 'gt': return count > condition.value;
    case 'gte': return count >= condition.value;
    case 'lt': return count < condition.value;
    case 'lte': return count <= condition.value;
    case 'eq': return count === condition.value;
  }
}

/** A binary min-heap of timers by `at`, ties by insertion order (deterministic). */
class DueHeap {
  private readonly items: (Due & { seq: number })[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(due: Due): void {
    const items = this.items;
    items.push({ ...due, seq: this.seq++ });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  peek(): Due | undefined {
    return this.items[0];
  }

  pop(): Due | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.less(left, smallest)) smallest = left;
        if (right < items.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }

  /**
   * Order by due time, then by content — never by when a timer was scheduled, which depends on
   * how far a partition's watermark had moved and so on the worker count. At one instant,
   * judgements come before releases (a release may forget state a judgement still needs).
   */
  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    if (x.at !== y.at) return x.at < y.at;
    if (x.kind !== y.kind) return x.kind === 'judge';
    if (x.rule !== y.rule) return x.rule < y.rule;
    if (x.key !== y.key) return x.key < y.key;
    if (x.time !== y.time) return x.time < y.time;
    if (x.uid !== y.uid) return x.uid < y.uid;
    return x.seq < y.seq;
  }
}


export class WindowEngine {
  private readonly rules: readonly WindowRule[];
  private readonly limits: EngineLimits;
  /** Per rule: whether it keeps a running window (count kinds with gt / gte / eq; see KeyState). */
  private readonly running: readonly boolean[];
  /** rule index -> key -> state */
  private readonly state: Map<string, KeyState>[];
  private readonly watermarks = new Map<string, number>();
  /** Per tenant: judgements waiting for the watermark (absence, lt/lte windows). */
  private readonly due = new Map<string, DueHeap>();
  /**
   * Per tenant: when each key's next entries expire, one item per key (not per entry): when it
   * comes due, the key's expired entries are cut and the key is armed again for its next chunk
   * (see `rearm`). Cutting later than an entry expires changes no window (windows are found by
   * time) and no limit (`placed` counts only live entries), only how long memory is held.
   */
  private readonly expiry = new Map<string, ExpiryHeap>();
  /** Numbers the arming of keys, so that an item left from an earlier arming (or an earlier life of the key) is skipped. */
  private armSerial = 0;
  private out: RawDetection[] = [];
  /** Key ids defined by the router so far (columns with `keyIds`, see key-ids.ts): id -> key. */
  private readonly keyTable: string[] = [];
  /** The same for counted values (`value_count` fields). */
  private readonly valueTable: string[] = [];
  readonly counters: EngineCounters = { keysOverflowed: 0, entriesEvicted: 0 };

  constructor(rules: readonly WindowRule[], limits: EngineLimits = DEFAULT_LIMITS) {
    this.rules = rules;
    this.limits = limits;
    this.state = rules.map(() => new Map());
    this.running = rules.map((rule) =>
      (rule.kind === 'event_count' || rule.kind === 'value_count') && rule.condition.op !== 'lt' && rule.condition.op !== 'lte' && limits.incremental !== false);
  }

  /** Keys currently tracked, over all rules. */
  get keyCount(): number {
    let total = 0;
    for (const keys of this.state) total += keys.size;
    return total;
  }

  /** Processes observations in order; returns the detections they caused. */
  observe(observations: readonly Observation[]): RawDetection[] {
    for (let i = 0; i < observations.length; i++) {
      const o = observations[i]!;
      // Advance first: what the watermark settles cannot involve this event (it is not late),
      // and a partition then sees the same state for a key however many keys it holds.
      this.advance(o.tenant, o.watermark);
      this.observeOne(o.rule, o.stage, o.tenant, o.key, o.time, o.value, o.weight, o.uid);
    }
    return this.take();
  }

  /** `observe` for observations in columns (as they cross the thread boundary), without an object per observation. */
  observeColumns(columns: ObservationColumns): RawDetection[] {
    this.observeRange(columns, resolveKeys(columns, this.keyTable), resolveValues(columns, this.valueTable), 0, columns.count);
    return this.take();
  }

  /**
   * Columns holding several pipeline batches (`segmentEnds`, `segmentWatermarks`): each batch's
   * observations, then the tick to that batch's watermark, in turn, exactly as if the batches had
   * come one by one; each detection says which batch it belongs to (`segment`).
   */
  observeSegments(columns: ObservationColumns, tenant: string): RawDetection[] {
    const keys = resolveKeys(columns, this.keyTable);
    const valueTable = resolveValues(columns, this.valueTable);
    const ends = columns.segmentEnds!;
    const watermarks = columns.segmentWatermarks!;
    let from = 0;
    for (let segment = 0; segment < ends.length; segment++) {
      const firstOut = this.out.length;
      this.observeRange(columns, keys, valueTable, from, ends[segment]!);
      this.advance(tenant, watermarks[segment]!);
      for (let d = firstOut; d < this.out.length; d++) this.out[d]!.segment = segment;
      from = ends[segment]!;
    }
    return this.take();
  }

  private observeRange(columns: ObservationColumns, keys: readonly string[], valueTable: readonly string[] | undefined, from: number, to: number): void {
    const { numbers, tenants, values, uids } = columns;
    for (let i = from, at = from * STRIDE; i < to; i++, at += STRIDE) {
      const tenant = tenants[numbers[at + 2]!]!;
      this.advance(tenant, numbers[at + 7]!);
      const key = keys[numbers[at + 3]!];
      if (key === undefined) throw Object.assign(new Error(`key id ${numbers[at + 3]} is not defined on this partition (its thread was restarted since the key was sent)`), { code: 'unknown_key' });
      let value: string | undefined;
      if (valueTable === undefined) value = values[i];
      else if (numbers[at + 8]! >= 0) {
        value = valueTable[numbers[at + 8]!];
        if (value === undefined) throw Object.assign(new Error(`value id ${numbers[at + 8]} is not defined on this partition (its thread was restarted since the value was sent)`), { code: 'unknown_key' });
      }
      // Rule and stage as small integers (`| 0`): stored as such in the state and timers, not as boxed doubles.
      this.observeOne(numbers[at]! | 0, numbers[at + 1]! | 0, tenant, key, numbers[at + 5]!, value, numbers[at + 6]!, uids[numbers[at + 4]!]!);
    }
  }

  /** Moves a tenant's watermark on (end of batch): fires what is due, evicts what has expired. */
  tick(watermarks: ReadonlyMap<string, number>): RawDetection[] {
    for (const [tenant, watermark] of watermarks) this.advance(tenant, watermark);
    return this.take();
  }

  private take(): RawDetection[] {
    const detections = this.out;
    this.out = [];
    return detections;
  }

  private observeOne(ruleIndex: number, stage: number, tenant: string, key: string, time: number, value: string | undefined, weight: number, uid: string): void {
    const rule = this.rules[ruleIndex]!;
    const running = this.running[ruleIndex]!;
    const keys = this.state[ruleIndex]!;
    let state = keys.get(key);
    let index: number;
    if (state === undefined) {
      if (keys.size >= this.limits.maxKeysPerRule) {
        this.counters.keysOverflowed++;
        return;
      }
      state = newKeyState(time, uid, weight, value, stage);
      keys.set(key, state);
      index = this.placed(rule, running, state, tenant, 0);
    } else index = this.placed(rule, running, state, tenant, this.insert(state, time, uid, weight, value, stage));
    if (state.armed === 0) this.arm(tenant, ruleIndex, key, state, time + keepMs(rule));
    switch (rule.kind) {
      case 'event_count':
      case 'value_count':
        if (rule.condition.op === 'lt' || rule.condition.op === 'lte') {
          this.schedule(tenant, { kind: 'judge', at: time + rule.timespanMs, rule: rule.index, key, time, uid });
        } else if (index < state.head) {
          // Dropped at once for room (older than every entry of a full key): no window ends at it.
        } else if (!running) this.evaluateFrom(rule, tenant, key, state, index);
        else if (index === state.times.length - 1) {
          const count = rule.kind === 'value_count' ? state.distinct?.sum ?? 0 : state.sum;
          if (meets(rule.condition, count)) this.fire(rule, tenant, key, state, time, count, state.start, index);
        } else this.evaluateLate(rule, tenant, key, state, index);
        break;
      case 'temporal':
      case 'temporal_ordered': {
        const latest = (state.latest ??= []);
        if (!(latest[stage]! >= time)) latest[stage] = time;
        this.evaluateFrom(rule, tenant, key, state, index);
        break;
      }
      case 'absence':
        if (stage === 0) {
          const at = rule.direction === 'before' ? time + 1 : time + rule.timespanMs;
          this.schedule(tenant, { kind: 'judge', at, rule: rule.index, key, time, uid });
        }
        break;
    }
  }

  /** Inserts in time order (from the end: events mostly arrive in order); returns the index. */
  private insert(state: KeyState, time: number, uid: string, weight: number, value: string | undefined, stage: number): number {
    compact(state);
    const times = state.times;
    const length = times.length;
    let i = length;
    while (i > state.head && times[i - 1]! > time) i--;
    if (i === length) {
      times.push(time);
      state.uids.push(uid);
      if (state.weights !== undefined) state.weights.push(weight);
      else if (weight !== 1) (state.weights = filled(length, 1)).push(weight);
      if (state.values !== undefined) state.values.push(value);
      else if (value !== undefined) (state.values = filled<string | undefined>(length, undefined)).push(value);
      if (state.stages !== undefined) state.stages.push(stage);
      else if (stage !== 0) (state.stages = filled(length, 0)).push(stage);
    } else {
      times.splice(i, 0, time);
      state.uids.splice(i, 0, uid);
      if (state.weights !== undefined || weight !== 1) (state.weights ??= filled(length, 1)).splice(i, 0, weight);
      if (state.values !== undefined || value !== undefined) (state.values ??= filled<string | undefined>(length, undefined)).splice(i, 0, value);
      if (state.stages !== undefined || stage !== 0) (state.stages ??= filled(length, 0)).splice(i, 0, stage);
    }
    return i;
  }

  /**
   * After the entry at `index` was inserted: the running window takes it in, and a key over its
   * entry limit drops expired entries first (they count for nothing) or else its oldest entry
   * (counted). Returns the new entry's index: below `head` when it was the one dropped.
   */
  private placed(rule: WindowRule, running: boolean, state: KeyState, tenant: string, index: number): number {
    if (running) this.admit(rule, state, index);
    if (state.times.length - state.head > this.limits.maxEntriesPerKey) {
      // The watermark here is the same in every partition.
      const settled = (this.watermarks.get(tenant) ?? Number.NEGATIVE_INFINITY) - this.limits.latenessMs;
      const horizon = settled - keepMs(rule);
      const stale = countAtOrBefore(state.times, horizon, state.head, index) - state.head;
      if (stale > 0) this.drop(rule, running, state, stale);
      // Still over once the expired entries are gone (they may not have been cut yet): the oldest
      // live entry goes, so that what a key holds never depends on when expired entries are cut.
      if (state.times.length - state.head > this.limits.maxEntriesPerKey) {
        this.drop(rule, running, state, 1);
        this.counters.entriesEvicted++;
      }
    }
    return index;
  }

  /** Keeps the running window, [start, last], the window of the newest entry after an insert at `index`. */
  private admit(rule: WindowRule, state: KeyState, index: number): void {
    const times = state.times;
    const last = times.length - 1;
    const distinct = rule.kind === 'value_count';
    if (index === last) {
      this.enter(state, index, distinct);
      const from = times[last]! - rule.timespanMs;
      let start = state.start;
      while (start <= last && times[start]! <= from) this.leave(state, start++, distinct);
      state.start = start;
      if (start > last) this.emptyWindow(state);
    } else if (times[index]! > times[last]! - rule.timespanMs) this.enter(state, index, distinct);
    else state.start++; // before the window: it only moves the window's indexes
  }

  /**
   * An entry inserted before the newest one (out of order): the windows ending at it and at each
   * later entry that now includes it are evaluated in turn, until one meets the condition. Each is
   * reached from the previous one by entering and leaving the entries at its two ends (a few: an
   * out-of-order event is at most the lateness old), and the running window is put back after.
   */
  private evaluateLate(rule: WindowRule, tenant: string, key: string, state: KeyState, index: number): void {
    const times = state.times;
    const last = times.length - 1;
    const distinct = rule.kind === 'value_count';
    const timespan = rule.timespanMs;
    const until = times[index]! + timespan;
    const start = state.start;
    const savedSum = state.sum;
    const savedDistinct = state.distinct?.sum ?? 0;
    // The first entry of the window ending at `index` (evaluateWindow's, found from the running window's).
    let first = Math.min(start, index);
    const from = times[index]! - timespan;
    while (first > state.head && times[first - 1]! > from) first--;
    if (first < start && !this.mayMeet(rule, state, first, start)) return;
    if (first >= start && !meetsUpTo(rule.condition, distinct ? state.distinct?.sum ?? 0 : state.sum)) return;
    let heldFirst = start;
    let heldEnd = last;
    for (let end = index; end <= last && times[end]! < until; end++) {
      if (end > index) {
        const endFrom = times[end]! - timespan;
        while (first < end && times[first]! <= endFrom) first++;
      }
      this.moveWindow(state, distinct, heldFirst, heldEnd, first, end);
      heldFirst = first;
      heldEnd = end;
      const count = distinct ? state.distinct?.sum ?? 0 : state.sum;
      if (meets(rule.condition, count)) {
        this.fire(rule, tenant, key, state, times[end]!, count, first, end);
        break;
      }
    }
    this.moveWindow(state, distinct, heldFirst, heldEnd, start, last);
    // Entering and leaving the same weights may round differently: the totals are put back as they were.
    state.sum = savedSum;
    if (state.distinct !== undefined) state.distinct.sum = savedDistinct;
  }

  /**
   * Whether some window holding only entries from `first` on (the earliest a window through the
   * late entry can start) could meet the condition: its count is at most that of the running
   * window's entries plus those in [first, start) (weights are positive, so a count only grows
   * with its entries). When not, the windows need not be walked one by one: on a busy key below
   * its threshold that walk costs one step per later entry for every late event.
   */
  private mayMeet(rule: WindowRule, state: KeyState, first: number, start: number): boolean {
    const condition = rule.condition;
    if (rule.kind !== 'value_count') {
      let bound = state.sum;
      for (let j = first; j < start; j++) {
        bound += weightAt(state, j);
        if (meetsUpTo(condition, bound)) return true;
      }
      return meetsUpTo(condition, bound);
    }
    let bound = state.distinct?.sum ?? 0;
    if (meetsUpTo(condition, bound)) return true;
    let raised: Map<string, number> | undefined;
    for (let j = first; j < start; j++) {
      const value = valueAt(state, j);
      if (value === undefined) continue;
      const weight = weightAt(state, j);
      const best = raised?.get(value) ?? state.distinct?.weightOf(value) ?? 0;
      if (weight <= best) continue;
      bound += weight - best;
      (raised ??= new Map()).set(value, weight);
      if (meetsUpTo(condition, bound)) return true;
    }
    return false;
  }

  /** Changes the entries held in the running totals from [heldFirst, heldEnd] to [first, end] (either may be empty). */
  private moveWindow(state: KeyState, distinct: boolean, heldFirst: number, heldEnd: number, first: number, end: number): void {
    if (heldFirst > heldEnd || first > end || end < heldFirst || first > heldEnd) {
      for (let j = heldFirst; j <= heldEnd; j++) this.leave(state, j, distinct);
      for (let j = first; j <= end; j++) this.enter(state, j, distinct);
      return;
    }
    for (let j = first; j < heldFirst; j++) this.enter(state, j, distinct);
    for (let j = heldFirst; j < first; j++) this.leave(state, j, distinct);
    for (let j = heldEnd + 1; j <= end; j++) this.enter(state, j, distinct);
    for (let j = end + 1; j <= heldEnd; j++) this.leave(state, j, distinct);
  }

  private enter(state: KeyState, i: number, distinct: boolean): void {
    const weight = weightAt(state, i);
    if (!distinct) {
      state.sum += weight;
      return;
    }
    const value = valueAt(state, i);
    if (value !== undefined) (state.distinct ??= new DistinctCounter()).add(value, weight);
  }

  private leave(state: KeyState, i: number, distinct: boolean): void {
    const weight = weightAt(state, i);
    if (!distinct) {
      state.sum -= weight;
      return;
    }
    const value = valueAt(state, i);
    if (value !== undefined) state.distinct!.remove(value, weight);
  }

  /** The running window holds no entry: its totals restart at exactly 0. */
  private emptyWindow(state: KeyState): void {
    state.sum = 0;
    state.distinct?.clear();
  }

  /** Drops the `count` oldest entries (leaving the running window first). */
  private drop(rule: WindowRule, running: boolean, state: KeyState, count: number): void {
    const head = state.head + count;
    if (running && state.start < head) {
      const distinct = rule.kind === 'value_count';
      for (let j = state.start; j < head; j++) this.leave(state, j, distinct);
      state.start = head;
      if (head >= state.times.length) this.emptyWindow(state);
    }
    state.head = head;
  }

  /** Evaluates the windows ending at the new entry and at each later entry that now includes it. */
  private evaluateFrom(rule: WindowRule, tenant: string, key: string, state: KeyState, index: number): void {
    if (index < state.head) return;
    const start = state.times[index]!;
    for (let end = index; end < state.times.length && state.times[end]! < start + rule.timespanMs; end++) {
      if (this.evaluateWindow(rule, tenant, key, state, end)) return;
    }
  }

  /** Evaluates the window (times[end] - T, times[end]]; fires (or suppresses) when met. */
  private evaluateWindow(rule: WindowRule, tenant: string, key: string, state: KeyState, end: number): boolean {
    const endTime = state.times[end]!;
    const from = endTime - rule.timespanMs;
    if (state.latest !== undefined && lacksStage(rule, state.latest, from)) return false;
    // The window's first entry: the first after `from` (times are sorted).
    const first = countAtOrBefore(state.times, from, state.head, end);
    const count = this.measure(rule, state, first, end);
    if (count === undefined) return false;
    this.fire(rule, tenant, key, state, endTime, count, first, end);
    return true;
  }

  /** The window's count when the rule's condition holds over entries [first, end], else undefined. */
  private measure(rule: WindowRule, state: KeyState, first: number, end: number): number | undefined {
    switch (rule.kind) {
      case 'event_count': {
        let sum = 0;
        for (let i = first; i <= end; i++) sum += weightAt(state, i);
        return meets(rule.condition, sum) ? sum : undefined;
      }
      case 'value_count': {
        const sum = distinctWeight(state, first, end);
        return meets(rule.condition, sum) ? sum : undefined;
      }
      case 'temporal': {
        let total = 0;
        for (let stage = 0; stage < rule.stages.length; stage++) {
          let sum = 0;
          for (let i = first; i <= end; i++) if (stageAt(state, i) === stage) sum += weightAt(state, i);
          if (!meets(rule.stages[stage]!, sum)) return undefined;
          total += sum;
        }
        return total;
      }
      case 'temporal_ordered': {
        let cursor = first;
        let total = 0;
        for (let stage = 0; stage < rule.stages.length; stage++) {
          const condition = rule.stages[stage]!;
          let sum = 0;
          let reached = -1;
          for (let i = cursor; i <= end; i++) {
            if (stageAt(state, i) !== stage) continue;
            sum += weightAt(state, i);
            if (meets(condition, sum)) {
              reached = i;
              break;
            }
          }
          if (reached < 0) return undefined;
          total += sum;
          cursor = reached + 1;
        }
        return total;
      }
      case 'absence':
        return undefined;
    }
  }

  private fire(rule: WindowRule, tenant: string, key: string, state: KeyState, time: number, count: number, first: number, end: number): void {
    if (time < state.lastFired + rule.suppressMs) {
      state.suppressed++;
      return;
    }
    const values: string[] = [];
    const related: string[] = [];
    for (let i = first; i <= end; i++) {
      const value = valueAt(state, i);
      if (value !== undefined && values.length < this.limits.maxValues && !values.includes(value)) values.push(value);
      if (related.length < this.limits.maxRelated) related.push(state.uids[i]!);
      else if (values.length >= this.limits.maxValues) break;
    }
    this.out.push({ rule: rule.index, tenant, key, time, count, values, firstSeen: state.times[first]!, lastSeen: state.times[end]!, related, suppressed: state.suppressed });
    state.lastFired = time;
    state.suppressed = 0;
    if (rule.suppressMs > 0) this.schedule(tenant, { kind: 'release', at: time + rule.suppressMs, rule: rule.index, key, time, uid: '' });
  }

  private schedule(tenant: string, due: Due): void {
    let heap = this.due.get(tenant);
    if (heap === undefined) {
      heap = new DueHeap();
      this.due.set(tenant, heap);
    }
    heap.push(due);
  }

  private advance(tenant: string, watermark: number): void {
    const previous = this.watermarks.get(tenant);
    if (previous !== undefined && watermark <= previous) return;
    this.watermarks.set(tenant, watermark);
    // A still-acceptable event is no older than watermark - lateness; judge what it can no longer change.
    const settled = watermark - this.limits.latenessMs;
    const heap = this.due.get(tenant);
    while (heap !== undefined && heap.size > 0 && heap.peek()!.at <= settled) this.judge(heap.pop()!, settled);
    const expiry = this.expiry.get(tenant);
    if (expiry !== undefined) {
      while (expiry.size > 0 && expiry.headAt() <= settled) {
        const ruleIndex = expiry.headRule();
        const key = expiry.headKey();
        const serial = expiry.headSerial();
        expiry.pop();
        const state = this.state[ruleIndex]!.get(key);
        if (state === undefined || state.armed !== serial) continue;
        state.armed = 0;
        this.evictKey(ruleIndex, key, settled);
        if (this.state[ruleIndex]!.get(key) === state) this.rearm(tenant, ruleIndex, key, state, settled);
      }
    }
  }

  private arm(tenant: string, ruleIndex: number, key: string, state: KeyState, at: number): void {
    let heap = this.expiry.get(tenant);
    if (heap === undefined) {
      heap = new ExpiryHeap();
      this.expiry.set(tenant, heap);
    }
    const serial = ++this.armSerial;
    state.armed = serial;
    heap.push(at, ruleIndex, key, serial);
  }

  /**
   * After a cut: arms the key for when its next chunk of entries has expired, the chunk being what
   * `evictKey` cuts at once (a quarter of the entries, at most 256; one entry when few are left),
   * so that a busy key comes up once per chunk rather than once per entry.
   */
  private rearm(tenant: string, ruleIndex: number, key: string, state: KeyState, settled: number): void {
    const rule = this.rules[ruleIndex]!;
    const times = state.times;
    const horizon = settled - keepMs(rule);
    const firstLive = countAtOrBefore(times, horizon, state.head, times.length);
    if (firstLive >= times.length) return; // nothing left to expire; a release timer, if any, forgets the key
    const entries = times.length - state.head;
    const chunk = Math.max(1, Math.min(256, Math.ceil(entries / 4)));
    const last = Math.min(times.length - 1, firstLive + chunk - 1);
    this.arm(tenant, ruleIndex, key, state, times[last]! + keepMs(rule));
  }

  /** Drops a key's entries that no acceptable event can share a window with; forgets an idle key. */
  private evictKey(ruleIndex: number, key: string, settled: number, fromRelease = false): void {
    const keys = this.state[ruleIndex]!;
    const state = keys.get(key);
    if (state === undefined) return;
    const rule = this.rules[ruleIndex]!;
    const horizon = settled - keepMs(rule);
    const entries = state.times.length - state.head;
    const stale = countAtOrBefore(state.times, horizon, state.head, state.times.length) - state.head;
    // Expired entries never join a window again (windows are found by time), so they are cut in
    // chunks, not one by one. Which chunks stays as it was when a cut cost a splice: the entry
    // limit counts the expired entries not cut yet.
    const live = entries - stale;
    if (stale > 0 && (live === 0 || stale >= 256 || stale * 4 >= entries)) {
      this.drop(rule, this.running[ruleIndex]!, state, stale);
      compact(state);
    }
    if (live > 0 || state.lastFired + rule.suppressMs > settled) return;
    // Suppressed repeats are carried on the key's next detection, so a key that has some is kept
    // (bounded: at most SUPPRESSED_RETENTION_MS after its last detection).
    if (state.suppressed === 0 || state.lastFired + SUPPRESSED_RETENTION_MS <= settled) keys.delete(key);
    else if (fromRelease) this.schedule(tenantOf(key), { kind: 'release', at: state.lastFired + SUPPRESSED_RETENTION_MS, rule: ruleIndex, key, time: state.lastFired, uid: '' });
  }

  /** Judges a timer: an absence, or a complete window of an lt/lte rule. */
  private judge(due: Due, settled: number): void {
    if (due.kind === 'release') {
      // Judged as of its own time, not the watermark's: a watermark that jumps far in one step
      // must forget no more than several small steps would (judgements due in between need the state).
      this.evictKey(due.rule, due.key, due.at, true);
      return;
    }
    const rule = this.rules[due.rule]!;
    const state = this.state[due.rule]!.get(due.key);
    if (state === undefined) return;
    const tenant = tenantOf(due.key);
    if (rule.kind === 'absence') {
      const from = rule.direction === 'after' ? due.time : due.time - rule.timespanMs + 1;
      const to = rule.direction === 'before' ? due.time : due.time + rule.timespanMs - 1;
      let a = -1;
      for (let i = state.head; i < state.times.length; i++) {
        const time = state.times[i]!;
        const stage = stageAt(state, i);
        if (stage === 1 && time >= from && time <= to) return; // B found: nothing to report
        if (a < 0 && stage === 0 && time === due.time && state.uids[i] === due.uid) a = i;
      }
      if (a < 0) return;
      const end = rule.direction === 'before' ? due.time : due.time + rule.timespanMs;
      this.fire(rule, tenant, due.key, state, end, 1, a, a);
      return;
    }
    // lt / lte: the window [time, time + T) opened by this entry.
    let first = -1;
    let last = -1;
    for (let i = state.head; i < state.times.length; i++) {
      const time = state.times[i]!;
      if (time < due.time) continue;
      if (time >= due.time + rule.timespanMs) break;
      if (first < 0) first = i;
      last = i;
    }
    if (first < 0) return;
    const count = this.measureRange(rule, state, first, last);
    if (meets(rule.condition, count)) this.fire(rule, tenant, due.key, state, due.time + rule.timespanMs, count, first, last);
  }

  private measureRange(rule: WindowRule, state: KeyState, first: number, last: number): number {
    if (rule.kind === 'value_count') return distinctWeight(state, first, last);
    let sum = 0;
    for (let i = first; i <= last; i++) sum += weightAt(state, i);
    return sum;
  }
}

/** Cuts the dropped entries off the arrays once they are at least half of them. */
function compact(state: KeyState): void {
  const head = state.head;
  if (head === 0 || head * 2 < state.times.length) return;
  state.times = state.times.slice(head);
  state.uids = state.uids.slice(head);
  if (state.weights !== undefined) state.weights = state.weights.slice(head);
  if (state.values !== undefined) state.values = state.values.slice(head);
  if (state.stages !== undefined) state.stages = state.stages.slice(head);
  state.start -= head;
  state.head = 0;
}

/** How long a key with suppressed repeats waits for its next detection before it is forgotten. */
export const SUPPRESSED_RETENTION_MS = 24 * 3_600_000;

/** The index after the last of the (sorted) times in [from, limit) that are <= `bound`: a binary search. */
function countAtOrBefore(times: readonly number[], bound: number, from: number, limit: number): number {
  let low = from;
  let high = limit;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! <= bound) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Whether a temporal rule's window (from, ...] lacks an entry of a stage whose condition needs at
 * least one (no entry of the stage is newer than `from`): then no window starting there is met.
 */
function lacksStage(rule: WindowRule, latest: readonly number[], from: number): boolean {
  const stages = rule.stages;
  for (let stage = 0; stage < stages.length; stage++) {
    if (!(latest[stage]! > from) && !meets(stages[stage]!, 0)) return true;
  }
  return false;
}

/** Whether a count of at most `bound` could meet a gt / gte / eq condition (lt / lte are judged elsewhere). */
function meetsUpTo(condition: Condition, bound: number): boolean {
  return condition.op === 'gt' ? bound > condition.value : bound >= condition.value;
}

/** How long a rule keeps an entry after the watermark (minus lateness) passes it. */
function keepMs(rule: WindowRule): number {
  // Absence keeps B entries for a range on both sides of an A.
  return rule.kind === 'absence' ? 2 * rule.timespanMs : rule.timespanMs;
}

/**
 * A min-heap of (expiry time, rule, key, arm serial) in parallel arrays: at most one live item per
 * key (see `KeyState.armed`); an item whose serial is not its key's current one is stale and
 * skipped when it comes out.
 */
class ExpiryHeap {
  private ats: number[] = [];
  private rules: number[] = [];
  private keys: string[] = [];
  private serials: number[] = [];

  get size(): number {
    return this.ats.length;
  }

  headAt(): number {
    return this.ats[0]!;
  }

  headRule(): number {
    return this.rules[0]!;
  }

  headKey(): string {
    return this.keys[0]!;
  }

  headSerial(): number {
    return this.serials[0]!;
  }

  push(at: number, rule: number, key: string, serial: number): void {
    const ats = this.ats;
    let i = ats.length;
    ats.push(at);
    this.rules.push(rule);
    this.keys.push(key);
    this.serials.push(serial);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ats[parent]! <= at) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, at, rule, key, serial);
  }

  /** Removes the head. */
  pop(): void {
    const last = this.ats.length - 1;
    const at = this.ats[last]!;
    const rule = this.rules[last]!;
    const key = this.keys[last]!;
    const serial = this.serials[last]!;
    this.ats.pop();
    this.rules.pop();
    this.keys.pop();
    this.serials.pop();
    if (last === 0) return;
    const ats = this.ats;
    const n = last;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && ats[child + 1]! < ats[child]!) child++;
      if (ats[child]! >= at) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, at, rule, key, serial);
  }

  private move(from: number, to: number): void {
    this.ats[to] = this.ats[from]!;
    this.rules[to] = this.rules[from]!;
    this.keys[to] = this.keys[from]!;
    this.serials[to] = this.serials[from]!;
  }

  private put(i: number, at: number, rule: number, key: string, serial: number): void {
    this.ats[i] = at;
    this.rules[i] = rule;
    this.keys[i] = key;
    this.serials[i] = serial;
  }
}

/** Separates tenant and group-by values in a key; cannot occur in tenant ids. */
export const KEY_SEPARATOR = '\u001f';

export function tenantOf(key: string): string {
  const at = key.indexOf(KEY_SEPARATOR);
  return at < 0 ? key : key.slice(0, at);
}

/** Sum over distinct values of each value's highest weight in [first, end]. */
function distinctWeight(state: KeyState, first: number, end: number): number {
  const best = new Map<string, number>();
  for (let i = first; i <= end; i++) {
    const value = valueAt(state, i);
    if (value === undefined) continue;
    const weight = weightAt(state, i);
    const seen = best.get(value);
    if (seen === undefined || weight > seen) best.set(value, weight);
  }
  let sum = 0;
  for (const weight of best.values()) sum += weight;
  return sum;
}
