/**
 * Decides which occurrences of a repeating event get a log line: the first of each key, then at
 * most one per interval, so a peer that is down or a stream of bad records does not flood
 * stderr. Occurrences not logged are counted, and the next line that is logged says how many.
 * Used by the host for reported errors (per code) and dead letters (per reason).
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; unlogged: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Records `count` occurrences of `key`, the first of which would be logged now. Returns
   * undefined when none is to be logged, or else how many earlier occurrences of the key went
   * unlogged since its last line.
   */
  admit(key: string, count = 1): number | undefined {
    const now = this.clock();
    const last = this.last.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.unlogged += count;
      return undefined;
    }
    this.last.set(key, { at: now, unlogged: 0 });
    return last ? last.unlogged : 0;
  }
}
