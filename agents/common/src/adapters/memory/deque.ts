/**
 * A double-ended queue over an array with a moving head: O(1) push, shift and (usually) unshift,
 * where `Array.prototype.shift` would copy the whole backlog on every delivery.
 */
export class Deque<T> {
  private buf: (T | undefined)[] = [];
  private head = 0;

  /** Number of items held. */
  get length(): number {
    return this.buf.length - this.head;
  }

  /** Appends at the tail. */
  push(value: T): void {
    this.buf.push(value);
  }

  /** Prepends at the head. */
  unshift(value: T): void {
    if (this.head > 0) {
      this.head -= 1;
      this.buf[this.head] = value;
    } else {
      this.buf.unshift(value);
    }
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.buf.length) return undefined;
    const value = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head += 1;
    if (this.head === this.buf.length) {
      this.buf = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  /** Removes everything. */
  clear(): void {
    this.buf = [];
    this.head = 0;
  }
}
