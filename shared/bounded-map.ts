// The eviction rules of the per-process caches keyed by what callers send (client ids, query texts, certificates): at
// most a fixed number of entries, expired ones first (setBounded) or the least recently used (RecentlyUsed).

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
 * A per-process cache of at most `capacity` entries (and, with a weight, at most `maxWeight` in total) that drops the
 * least recently used entries when full: for values derived only from their key (a parsed query text, a parsed
 * certificate), so an entry never goes stale. An entry heavier than `maxWeight` alone is not kept.
 */
export class RecentlyUsed<K, V> {
  readonly #entries = new Map<K, { value: V; weight: number }>();
  #weight = 0;

  constructor(
    readonly capacity: number,
    private readonly weighing?: { maxWeight: number; weightOf: (key: K, value: V) => number },
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RecentlyUsed needs a capacity of at least 1, got ${capacity}`);
  }

  /** The value of exactly this key, if held; a hit becomes the most recently used entry. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#remove(key);
    const weight = this.weighing?.weightOf(key, value) ?? 0;
    const maxWeight = this.weighing?.maxWeight ?? Infinity;
    if (weight > maxWeight) return;
    // A Map iterates in insertion order and get() re-inserts hits: the first key is the least recently used.
    while (this.#entries.size >= this.capacity || this.#weight + weight > maxWeight) this.#remove(this.#entries.keys().next().value as K);
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The sum of the held entries' weights (0 without a weight). */
  get weight(): number {
    return this.#weight;
  }

  #remove(key: K): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#weight -= entry.weight;
  }
}
