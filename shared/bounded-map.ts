// The eviction rule of the per-process caches keyed by what callers send (client ids): at most a fixed number of entries.

/**
 * Sets `key` in `map` so that the map never holds more than `capacity` entries: when full, expired entries go
 * first, then the oldest (a Map iterates in insertion order, and `key` is re-inserted last). A caller trying
 * many keys can then neither grow the map without bound nor push out anything but the oldest.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number, expired: (value: V) => boolean): void {
  map.delete(key);
  if (map.size >= capacity) {
    for (const [held, entry] of map) if (expired(entry)) map.delete(held);
    if (map.size >= capacity) map.delete(map.keys().next().value as K);
  }
  map.set(key, value);
}

/**
 * A per-process cache of at most `capacity` entries that drops the least recently used one when full: for values
 * derived only from their key (a parsed query text, a parsed certificate), so an entry never goes stale.
 */
export class RecentlyUsed<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RecentlyUsed needs a capacity of at least 1, got ${capacity}`);
  }

  /** The value of exactly this key, if held; a hit becomes the most recently used entry. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    setBounded(this.#entries, key, value, this.capacity, () => false);
  }

  get size(): number {
    return this.#entries.size;
  }
}
