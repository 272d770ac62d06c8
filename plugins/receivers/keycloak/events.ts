/**
 * Pure helpers for reading Keycloak's events API: an event's time and id, the paging offset after
 * a page, the legacy `dateFrom` day, the start position. Kept apart from the receiver so each rule
 * is tested on its own.
 */
import { contentId } from '../../../core/poller/dedup.js';
import { parseDuration } from '../../../core/duration.js';

export type EventKind = 'user' | 'admin';

/** The two event streams of a realm: path under /admin/realms/{realm}/ and the normalizer's format. */
export const KINDS: Readonly<Record<EventKind, { readonly path: string; readonly format: string }>> = {
  user: { path: 'events', format: 'keycloak.event' },
  admin: { path: 'admin-events', format: 'keycloak.admin_event' },
};

/** A Keycloak event as the API returns it: a JSON object. */
export type KeycloakEvent = Record<string, unknown>;

/**
 * Epoch ms of an event (`time`, a number; a numeric string is read too), NaN when it has none.
 * An event without a time is still delivered (the normalizer dead-letters it, nothing is silently
 * dropped); it is kept in the window and ordered at the window's start.
 */
export function eventTime(event: KeycloakEvent): number {
  const time = event['time'];
  if (typeof time === 'number') return Number.isFinite(time) ? time : Number.NaN;
  if (typeof time === 'string' && /^\d{1,16}$/.test(time)) return Number(time);
  return Number.NaN;
}

/**
 * The de-duplication id: Keycloak's `id` (events have one since 26.2's sync support; admin events
 * longer), else a hash of the event's JSON. JSON.parse keeps key order, so the same text hashes
 * the same on every read. The kind is part of the hash only through the separate dedupers.
 */
export function eventId(event: KeycloakEvent): string {
  const id = event['id'];
  if (typeof id === 'string' && id !== '') return id;
  return `h:${contentId(JSON.stringify(event))}`;
}

/**
 * The `first` of the next page. Keycloak orders by time only, so the order of events sharing a
 * millisecond may differ between two queries; a page that ends inside such a group would let the
 * next query put a member before the boundary (lost) and another after it (doubled). The next
 * page therefore starts again at the first event of the page's last millisecond group, so the
 * whole group comes from one query (duplicates are dropped by id). A page that is one group only
 * cannot be re-read that way and simply moves on.
 */
export function nextFirst(first: number, times: readonly number[]): number {
  const n = times.length;
  if (n === 0) return first;
  const last = times[n - 1]!;
  let group = 0;
  for (let i = n - 1; i >= 0 && times[i] === last; i--) group++;
  return group < n ? first + n - group : first + n;
}

/** The order of a page: 1 ascending, -1 descending, 0 when it cannot tell (fewer than two distinct times). */
export function pageOrder(times: readonly number[]): -1 | 0 | 1 {
  let previous = Number.NaN;
  for (const time of times) {
    if (!Number.isFinite(time)) continue;
    if (Number.isFinite(previous)) {
      if (time > previous) return 1;
      if (time < previous) return -1;
    }
    previous = time;
  }
  return 0;
}

/**
 * `dateFrom` for servers before 26.2, which take only yyyy-MM-dd and read it in the server's own
 * time zone (SimpleDateFormat). A day before the window's UTC day covers every zone (UTC−12 to
 * UTC+14); events before the window are dropped client-side, and a newest-first read stops at
 * the first of them anyway.
 */
export function legacyDateFrom(windowStart: number): string {
  return new Date(Math.max(0, windowStart - 86_400_000)).toISOString().slice(0, 10);
}

/** The window start without a checkpoint: `now`, an RFC 3339 time, or a look-back duration. */
export function resolveStartAt(startAt: string, now: number): number {
  if (startAt === 'now') return now;
  if (/^\d{4}-\d{2}-\d{2}T/.test(startAt)) {
    const time = Date.parse(startAt);
    if (!Number.isFinite(time)) throw new Error(`start_at: ${JSON.stringify(startAt)} is not an RFC 3339 time`);
    return time;
  }
  return now - parseDuration(startAt);
}

/**
 * Sorts events oldest first, stable (the server's order within a millisecond is kept, reversed
 * for a newest-first read so that it reads as the server wrote them). Events without a time sort
 * at `windowStart`.
 */
export function oldestFirst(events: readonly KeycloakEvent[], times: readonly number[], windowStart: number, newestFirst: boolean): KeycloakEvent[] {
  const index = events.map((_, i) => i);
  if (newestFirst) index.reverse();
  const key = (i: number): number => {
    const time = times[i]!;
    return Number.isFinite(time) ? time : windowStart;
  };
  index.sort((a, b) => key(a) - key(b));
  return index.map((i) => events[i]!);
}
