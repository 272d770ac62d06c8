/**
 * A double-ended queue on a growable ring buffer: O(1) at both ends. The sending queue needs the
 * front for re-sends (they go before what waits) and `Array.prototype.shift` is O(n) once the
 * queue holds many small requests.
 */
export class Deque<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.slots = new Array<T | undefined>(Math.max(2, initialCapacity));
  }

  get length(): number {
    return this.count;
  }

  pushBack(value: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = value;
    this.count += 1;
  }

  pushFront(value: T): void {
    if (this.count === this.slots.length) this.grow();
    this.head = (this.head - 1 + this.slots.length) % this.slots.length;
    this.slots[this.head] = value;
    this.count += 1;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const value = this.slots[this.head];
    this.slots[this.head] = undefined; // let the request be collected once sent
    this.head = (this.head + 1) % this.slots.length;
    this.count -= 1;
    return value;
  }

  /** Removes and returns everything, front first. */
  drain(): T[] {
    const out: T[] = [];
    for (let value = this.shift(); value !== undefined; value = this.shift()) out.push(value);
    return out;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
