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
