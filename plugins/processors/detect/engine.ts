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
}

export interface EngineCounters {
  keysOverflowed: number;
  entriesEvicted: number;
}

/** Entries of one key, sorted by time, in parallel arrays (no object per entry). */
interface KeyState {
  readonly times: number[];
  readonly weights: number[];
  readonly values: (string | undefined)[];
  readonly uids: string[];
  readonly stages: number[];
  lastFired: number;
  suppressed: number;
  /**
   * Count kinds keep the window ending at their newest entry up to date as entries arrive in
   * order: its first index, its weight sum, and per distinct value its entry count and highest
   * weight. An out-of-order insert or a drop into the window marks it stale; it is then rebuilt.
   */
  start: number;
  sum: number;
  distinct: Map<string, DistinctValue> | undefined;
  distinctSum: number;
  stale: boolean;
}

interface DistinctValue {
  count: number;
  max: number;
  /** Entries holding the highest weight: the window is rescanned only when the last of them leaves. */
  atMax: number;
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

function newKeyState(): KeyState {
  return {
    times: [], weights: [], values: [], uids: [], stages: [], lastFired: Number.NEGATIVE_INFINITY, suppressed: 0,
    start: 0, sum: 0, distinct: undefined, distinctSum: 0, stale: true,
  };
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
  /** rule index -> key -> state */
  private readonly state: Map<string, KeyState>[];
  private readonly watermarks = new Map<string, number>();
  /** Per tenant: judgements waiting for the watermark (absence, lt/lte windows). */
  private readonly due = new Map<string, DueHeap>();
  /**
   * Per tenant, one entry per observation in arrival order: when its state entry expires. Events
   * arrive nearly in time order, so popping from the front while expired is amortized O(1) and
   * never scans all keys.
   */
  private readonly expiry = new Map<string, ExpiryQueue>();
  private out: RawDetection[] = [];
  readonly counters: EngineCounters = { keysOverflowed: 0, entriesEvicted: 0 };

  constructor(rules: readonly WindowRule[], limits: EngineLimits = DEFAULT_LIMITS) {
    this.rules = rules;
    this.limits = limits;
    this.state = rules.map(() => new Map());
  }

  /** Keys currently tracked, over all rules. */
  get keyCount(): number {
    let total = 0;
    for (const keys of this.state) total += keys.size;
    return total;
  }

  /** Processes observations in order; returns the detections they caused. */
  observe(observations: readonly Observation[]): RawDetection[] {
    for (const observation of observations) {
      // Advance first: what the watermark settles cannot involve this event (it is not late),
      // and a partition then sees the same state for a key however many keys it holds.
      this.advance(observation.tenant, observation.watermark);
      this.observeOne(observation);
    }
    return this.take();
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

  private observeOne(o: Observation): void {
    const rule = this.rules[o.rule]!;
    const keys = this.state[o.rule]!;
    let state = keys.get(o.key);
    if (state === undefined) {
      if (keys.size >= this.limits.maxKeysPerRule) {
        this.counters.keysOverflowed++;
        return;
      }
      state = newKeyState();
      keys.set(o.key, state);
    }
    const index = this.insert(state, o);
    let queue = this.expiry.get(o.tenant);
    if (queue === undefined) {
      queue = new ExpiryQueue();
      this.expiry.set(o.tenant, queue);
    }
    queue.push(o.time + keepMs(rule), o.rule, o.key);
    switch (rule.kind) {
      case 'event_count':
      case 'value_count':
        if (rule.condition.op === 'lt' || rule.condition.op === 'lte') {
          this.schedule(o.tenant, { kind: 'judge', at: o.time + rule.timespanMs, rule: rule.index, key: o.key, time: o.time, uid: o.uid });
        } else if (index === state.times.length - 1 && this.limits.incremental !== false) this.evaluateNewest(rule, o.tenant, o.key, state);
        else {
          state.stale = true;
          this.evaluateFrom(rule, o.tenant, o.key, state, index);
        }
        break;
      case 'temporal':
      case 'temporal_ordered':
        this.evaluateFrom(rule, o.tenant, o.key, state, index);
        break;
      case 'absence':
        if (o.stage === 0) {
          const at = rule.direction === 'before' ? o.time + 1 : o.time + rule.timespanMs;
          this.schedule(o.tenant, { kind: 'judge', at, rule: rule.index, key: o.key, time: o.time, uid: o.uid });
        }
        break;
    }
  }

  /** Inserts in time order (from the end: events mostly arrive in order); returns the index. */
  private insert(state: KeyState, o: Observation): number {
    const { times } = state;
    let i = times.length;
    while (i > 0 && times[i - 1]! > o.time) i--;
    if (i === times.length) {
      times.push(o.time);
      state.weights.push(o.weight);
      state.values.push(o.value);
      state.uids.push(o.uid);
      state.stages.push(o.stage);
    } else {
      times.splice(i, 0, o.time);
      state.weights.splice(i, 0, o.weight);
      state.values.splice(i, 0, o.value);
      state.uids.splice(i, 0, o.uid);
      state.stages.splice(i, 0, o.stage);
    }
    if (times.length > this.limits.maxEntriesPerKey) {
      // Expired entries waiting to be cut go first (they count for nothing); only a live entry
      // dropped for room is counted. The watermark here is the same in every partition.
      const settled = (this.watermarks.get(o.tenant) ?? Number.NEGATIVE_INFINITY) - this.limits.latenessMs;
      const horizon = settled - keepMs(this.rules[o.rule]!);
      const stale = countAtOrBefore(times, horizon, i);
      if (stale > 0) {
        this.drop(state, stale);
        return i - stale;
      }
      this.drop(state, 1);
      this.counters.entriesEvicted++;
      return i - 1;
    }
    return i;
  }

  /**
   * The in-order fast path of count rules: the newest entry joins the running window, entries
   * that slid out leave it, and the condition is checked on the running totals (O(1) amortized
   * instead of a scan of the window per event).
   */
  private evaluateNewest(rule: WindowRule, tenant: string, key: string, state: KeyState): void {
    const last = state.times.length - 1;
    const time = state.times[last]!;
    const distinct = rule.kind === 'value_count';
    if (state.stale) this.rebuild(rule, state);
    else this.enter(state, last, distinct);
    const from = time - rule.timespanMs;
    while (state.times[state.start]! <= from) this.leave(state, state.start++, distinct);
    const count = distinct ? state.distinctSum : state.sum;
    if (meets(rule.condition, count)) this.fire(rule, tenant, key, state, time, count, state.start, last);
  }

  private enter(state: KeyState, i: number, distinct: boolean): void {
    const weight = state.weights[i]!;
    if (!distinct) {
      state.sum += weight;
      return;
    }
    const value = state.values[i];
    if (value === undefined) return;
    const map = (state.distinct ??= new Map());
    const seen = map.get(value);
    if (seen === undefined) {
      map.set(value, { count: 1, max: weight, atMax: 1 });
      state.distinctSum += weight;
    } else {
      seen.count++;
      if (weight > seen.max) {
        state.distinctSum += weight - seen.max;
        seen.max = weight;
        seen.atMax = 1;
      } else if (weight === seen.max) seen.atMax++;
    }
  }

  private leave(state: KeyState, i: number, distinct: boolean): void {
    const weight = state.weights[i]!;
    if (!distinct) {
      state.sum -= weight;
      return;
    }
    const value = state.values[i];
    if (value === undefined) return;
    const seen = state.distinct!.get(value)!;
    seen.count--;
    if (seen.count === 0) {
      state.distinct!.delete(value);
      state.distinctSum -= seen.max;
    } else if (weight === seen.max && --seen.atMax === 0) {
      // The last entry with the highest weight left: find the highest among the remaining ones.
      let max = 0;
      let atMax = 0;
      for (let j = i + 1; j < state.times.length; j++) {
        if (state.values[j] !== value) continue;
        const w = state.weights[j]!;
        if (w > max) {
          max = w;
          atMax = 1;
        } else if (w === max) atMax++;
      }
      state.distinctSum += max - seen.max;
      seen.max = max;
      seen.atMax = atMax;
    }
  }

  /** Recomputes the running window ending at the newest entry from scratch. */
  private rebuild(rule: WindowRule, state: KeyState): void {
    const last = state.times.length - 1;
    const from = state.times[last]! - rule.timespanMs;
    let start = last;
    while (start > 0 && state.times[start - 1]! > from) start--;
    state.start = start;
    state.sum = 0;
    state.distinctSum = 0;
    state.distinct?.clear();
    const distinct = rule.kind === 'value_count';
    for (let i = start; i <= last; i++) this.enter(state, i, distinct);
    state.stale = false;
  }

  private drop(state: KeyState, count: number): void {
    if (count > state.start) state.stale = true;
    else state.start -= count;
    state.times.splice(0, count);
    state.weights.splice(0, count);
    state.values.splice(0, count);
    state.uids.splice(0, count);
    state.stages.splice(0, count);
  }

  /** Evaluates the windows ending at the new entry and at each later entry that now includes it. */
  private evaluateFrom(rule: WindowRule, tenant: string, key: string, state: KeyState, index: number): void {
    if (index < 0) return;
    const start = state.times[index]!;
    for (let end = index; end < state.times.length && state.times[end]! < start + rule.timespanMs; end++) {
      if (this.evaluateWindow(rule, tenant, key, state, end)) return;
    }
  }

  /** Evaluates the window (times[end] - T, times[end]]; fires (or suppresses) when met. */
  private evaluateWindow(rule: WindowRule, tenant: string, key: string, state: KeyState, end: number): boolean {
    const endTime = state.times[end]!;
    let first = end;
    while (first > 0 && state.times[first - 1]! > endTime - rule.timespanMs) first--;
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
        for (let i = first; i <= end; i++) sum += state.weights[i]!;
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
          for (let i = first; i <= end; i++) if (state.stages[i] === stage) sum += state.weights[i]!;
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
            if (state.stages[i] !== stage) continue;
            sum += state.weights[i]!;
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
      const value = state.values[i];
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
    const queue = this.expiry.get(tenant);
    if (queue !== undefined) {
      while (queue.size > 0 && queue.headAt() <= settled) {
        const rule = queue.headRule();
        const key = queue.headKey();
        queue.shift();
        this.evictKey(rule, key, settled);
      }
    }
  }

  /** Drops a key's entries that no acceptable event can share a window with; forgets an idle key. */
  private evictKey(ruleIndex: number, key: string, settled: number, fromRelease = false): void {
    const keys = this.state[ruleIndex]!;
    const state = keys.get(key);
    if (state === undefined) return;
    const rule = this.rules[ruleIndex]!;
    const horizon = settled - keepMs(rule);
    const stale = countAtOrBefore(state.times, horizon, state.times.length);
    // Expired entries never join a window again (windows are found by time), so they are cut in
    // chunks rather than by one splice per event, which costs O(window) each time on busy keys.
    const live = state.times.length - stale;
    if (stale > 0 && (live === 0 || stale >= 256 || stale * 4 >= state.times.length)) this.drop(state, stale);
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
      for (let i = 0; i < state.times.length; i++) {
        const time = state.times[i]!;
        if (state.stages[i] === 1 && time >= from && time <= to) return; // B found: nothing to report
        if (a < 0 && state.stages[i] === 0 && time === due.time && state.uids[i] === due.uid) a = i;
      }
      if (a < 0) return;
      const end = rule.direction === 'before' ? due.time : due.time + rule.timespanMs;
      this.fire(rule, tenant, due.key, state, end, 1, a, a);
      return;
    }
    // lt / lte: the window [time, time + T) opened by this entry.
    let first = -1;
    let last = -1;
    for (let i = 0; i < state.times.length; i++) {
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
    for (let i = first; i <= last; i++) sum += state.weights[i]!;
    return sum;
  }

}

/** How long a key with suppressed repeats waits for its next detection before it is forgotten. */
export const SUPPRESSED_RETENTION_MS = 24 * 3_600_000;

/** How many of the first `limit` (sorted) times are <= `bound`: a binary search. */
function countAtOrBefore(times: readonly number[], bound: number, limit: number): number {
  let low = 0;
  let high = limit;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! <= bound) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** How long a rule keeps an entry after the watermark (minus lateness) passes it. */
function keepMs(rule: WindowRule): number {
  // Absence keeps B entries for a range on both sides of an A.
  return rule.kind === 'absence' ? 2 * rule.timespanMs : rule.timespanMs;
}

/** A FIFO of (expiry time, rule, key) in parallel arrays, compacted as it drains. */
class ExpiryQueue {
  private ats: number[] = [];
  private rules: number[] = [];
  private keys: string[] = [];
  private head = 0;

  get size(): number {
    return this.ats.length - this.head;
  }

  push(at: number, rule: number, key: string): void {
    this.ats.push(at);
    this.rules.push(rule);
    this.keys.push(key);
  }

  headAt(): number {
    return this.ats[this.head]!;
  }

  headRule(): number {
    return this.rules[this.head]!;
  }

  headKey(): string {
    return this.keys[this.head]!;
  }

  shift(): void {
    this.head++;
    if (this.head >= 4096 && this.head * 2 >= this.ats.length) {
      this.ats = this.ats.slice(this.head);
      this.rules = this.rules.slice(this.head);
      this.keys = this.keys.slice(this.head);
      this.head = 0;
    }
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
    const value = state.values[i];
    if (value === undefined) continue;
    const weight = state.weights[i]!;
    const seen = best.get(value);
    if (seen === undefined || weight > seen) best.set(value, weight);
  }
  let sum = 0;
  for (const weight of best.values()) sum += weight;
  return sum;
}
