/**
 * Keys as ids that last across batches, for partitions on worker threads. The first time the
 * router meets a key (per key slot: the group-by values) it gives it an id on its partition and
 * sends the key's string once, with that batch; afterwards observations carry only the id, and
 * the worker resolves it to the string it already holds (whose hash V8 has already computed, so
 * the engine's state lookup does not hash the key again). This replaces a dictionary rebuilt for
 * every batch, which cloned every key of every batch to the workers.
 *
 * Bounded: ids unused for a whole generation (`generationBatches` batches) are forgotten at the
 * end of the next one and their numbers reused; a reused id is defined again (with its new
 * string) in the batch that first uses it, and a partition works on its batches in order, so
 * the worker never resolves an id to the wrong key. When a partition fails (its thread may have
 * restarted with an empty table) or the tenant changes, everything is forgotten and every key
 * is sent again.
 */

/** Partitions per processor are at most 64 (`workers` ≤ 64): a ref is `id * 64 + partition`. */
const PARTITION_BITS = 6;
const PARTITION_MASK = (1 << PARTITION_BITS) - 1;
/** Ids stay below 2^24, so that a ref is a small integer (`>>>` and `&` stay exact). */
const MAX_ID = 1 << 24;

export class KeyIds {
  /** Per slot: group-by values -> ref. */
  private readonly slots: Map<string, number>[];
  /** Per partition, per id: the generation it was last used in. */
  private readonly lastUsed: Uint32Array[];
  private readonly free: number[][];
  private readonly nextId: number[];
  private generation = 1;
  private batches = 0;
  private tenant: string | undefined;

  constructor(
    slotCount: number,
    private readonly partitionCount: number,
    private readonly generationBatches: number,
  ) {
    if (partitionCount > 1 << PARTITION_BITS) throw new RangeError(`at most ${1 << PARTITION_BITS} partitions`);
    this.slots = Array.from({ length: slotCount }, () => new Map());
    this.lastUsed = Array.from({ length: partitionCount }, () => new Uint32Array(1024));
    this.free = Array.from({ length: partitionCount }, () => []);
    this.nextId = new Array<number>(partitionCount).fill(0);
  }

  /** Keys known now, over all slots. */
  get size(): number {
    let size = 0;
    for (const slot of this.slots) size += slot.size;
    return size;
  }

  /** Before routing a batch: a new tenant starts over; every `generationBatches` batches, unused ids go. */
  startBatch(tenant: string): void {
    if (tenant !== this.tenant) {
      this.reset();
      this.tenant = tenant;
    }
    if (++this.batches % this.generationBatches === 0) this.rotate();
    // Never reached with rotation unless one partition holds millions of live keys; starting
    // over is done here, between batches, never while a batch's ids are being handed out.
    if (this.nextId.some((next) => next >= MAX_ID / 2)) this.reset();
  }

  /** The ref of a known key (and marks it used), or -1. */
  lookup(slot: number, values: string): number {
    const ref = this.slots[slot]!.get(values);
    if (ref === undefined) return -1;
    this.lastUsed[ref & PARTITION_MASK]![ref >>> PARTITION_BITS] = this.generation;
    return ref;
  }

  /** Gives a new key an id on `partition`; returns its ref. */
  define(slot: number, values: string, partition: number): number {
    let id = this.free[partition]!.pop();
    if (id === undefined) {
      id = this.nextId[partition]!;
      if (id >= MAX_ID) throw new RangeError(`detect: more than ${MAX_ID / 2} new keys in one batch on one partition`);
      this.nextId[partition] = id + 1;
      if (id >= this.lastUsed[partition]!.length) {
        const grown = new Uint32Array(this.lastUsed[partition]!.length * 2);
        grown.set(this.lastUsed[partition]!);
        this.lastUsed[partition] = grown;
      }
    }
    this.lastUsed[partition]![id] = this.generation;
    const ref = id * (1 << PARTITION_BITS) + partition;
    this.slots[slot]!.set(values, ref);
    return ref;
  }

  /** Forgets every key: each is defined (and sent) again when next used. */
  reset(): void {
    for (const slot of this.slots) slot.clear();
    for (let p = 0; p < this.partitionCount; p++) {
      this.free[p]!.length = 0;
      this.nextId[p] = 0;
      this.lastUsed[p]!.fill(0);
    }
  }

  /** Forgets the keys not used in the generation that ends now. */
  private rotate(): void {
    const current = this.generation;
    for (const slot of this.slots) {
      for (const [values, ref] of slot) {
        const partition = ref & PARTITION_MASK;
        const id = ref >>> PARTITION_BITS;
        if (this.lastUsed[partition]![id]! < current) {
          slot.delete(values);
          this.free[partition]!.push(id);
        }
      }
    }
    this.generation = current + 1;
  }
}

export function partitionOfRef(ref: number): number {
  return ref & PARTITION_MASK;
}

export function idOfRef(ref: number): number {
  return ref >>> PARTITION_BITS;
}
