/**
 * De-duplication across overlapping poll windows.
 *
 * A poller never asks "after the newest event I have": events that share the boundary
 * millisecond, or that the vendor indexes a little late, would be lost. It asks from
 * `windowStart()` (the newest event time minus an overlap) and drops what it already delivered:
 * this keeps the ids of every delivered event whose time is within the overlap of the newest one.
 *
 * Admission is two-phase, so a batch that downstream refused is not remembered as delivered:
 * `select()` returns the fresh records and a `commit()` to call once `consume()` resolved.
 */
import { hash } from 'node:crypto';

/** What goes into the checkpoint. */
export interface DedupState {
  /** Epoch ms of the newest delivered event; null before the first. */
  newest_time: number | null;
  /** [id, event time] of the delivered events within the overlap of newest_time. */
  recent: [string, number][];
}

export interface Selection<T> {
  /** The records not delivered before, in input order, each once. */
  readonly fresh: T[];
  /** How many were dropped as already delivered (or repeated within the input). */
  readonly duplicates: number;
  /** Remember `fresh` as delivered. Call only after downstream accepted them. */
  commit(): void;
}

export class OverlapDeduper {
  private newest: number | undefined;
  /** id -> event time; Map keeps insertion order, which pruning relies on only loosely. */
  private readonly recent = new Map<string, number>();
  /** Ids dropped from `recent` because of the cap (a late duplicate of one of them would pass). */
  overflowed = 0;

  /**
   * `overlapMs`: how far before the newest event each window starts. `maxIds` bounds memory and
   * the checkpoint; past it the oldest ids are forgotten first and counted in `overflowed`.
   */
  constructor(
    readonly overlapMs: number,
    readonly maxIds = 50_000,
  ) {}

  restore(state: DedupState | undefined): void {
    this.recent.clear();
    this.newest = undefined;
    if (state === undefined) return;
    if (typeof state.newest_time === 'number' && Number.isFinite(state.newest_time)) this.newest = state.newest_time;
    for (const entry of Array.isArray(state.recent) ? state.recent : []) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') this.recent.set(entry[0], entry[1]);
    }
    this.prune();
  }

  state(): DedupState {
    return { newest_time: this.newest ?? null, recent: [...this.recent] };
  }

  /** Epoch ms of the newest delivered event, if any. */
  get newestTime(): number | undefined {
    return this.newest;
  }

  /** Where the next window starts: the newest delivered event time minus the overlap, or `initial` before the first event. */
  windowStart(initial: number): number {
    return this.newest === undefined ? initial : this.newest - this.overlapMs;
  }

  /** True when this id was delivered (and is still remembered). */
  has(id: string): boolean {
    return this.recent.has(id);
  }

  select<T>(records: readonly T[], idOf: (record: T) => string, timeOf: (record: T) => number): Selection<T> {
    const fresh: T[] = [];
    const pending = new Map<string, number>();
    let duplicates = 0;
    for (const record of records) {
      const id = idOf(record);
      if (this.recent.has(id) || pending.has(id)) {
        duplicates++;
        continue;
      }
      pending.set(id, timeOf(record));
      fresh.push(record);
    }
    let committed = false;
    return {
      fresh,
      duplicates,
      commit: () => {
        if (committed) return;
        committed = true;
        for (const [id, time] of pending) {
          this.recent.set(id, time);
          if (Number.isFinite(time) && (this.newest === undefined || time > this.newest)) this.newest = time;
        }
        this.prune();
      },
    };
  }

  private prune(): void {
    if (this.newest !== undefined) {
      const horizon = this.newest - this.overlapMs;
      for (const [id, time] of this.recent) if (time < horizon) this.recent.delete(id);
    }
    if (this.recent.size > this.maxIds) {
      let excess = this.recent.size - this.maxIds;
      this.overflowed += excess;
      for (const id of this.recent.keys()) {
        if (excess-- <= 0) break;
        this.recent.delete(id);
      }
    }
  }
}

/** A stable id for a record whose API gives none: SHA-256 of its JSON text, 32 hex digits. */
export function contentId(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 32);
}
