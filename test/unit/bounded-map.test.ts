// setBounded and RecentlyUsed: the per-process caches never hold more than their capacity (setBounded: expired entries go first, then the oldest; RecentlyUsed: the least recently used).
import { RecentlyUsed, setBounded } from '../../shared/bounded-map';

const expiredWhen = (now: number) => (expiresAt: number) => expiresAt <= now;

describe('setBounded', () => {
  it('adds freely below capacity and moves a key set again to the end', () => {
    const map = new Map([['a', 10], ['b', 10]]);
    setBounded(map, 'a', 20, 3, expiredWhen(0));
    expect([...map]).toEqual([['b', 10], ['a', 20]]);
  });

  it('when full, drops the expired entries before anything fresh', () => {
    const map = new Map([['old', 5], ['fresh', 50], ['stale', 6]]);
    setBounded(map, 'new', 60, 3, expiredWhen(10));
    expect([...map.keys()]).toEqual(['fresh', 'new']);
  });

  it('when full of fresh entries, drops the oldest only', () => {
    const map = new Map([['first', 50], ['second', 50]]);
    setBounded(map, 'third', 50, 2, expiredWhen(10));
    expect([...map.keys()]).toEqual(['second', 'third']);
  });
});

describe('RecentlyUsed', () => {
  it('holds at most its capacity; a read makes an entry the most recently used, the least recently used goes', () => {
    const cache = new RecentlyUsed<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c')]).toEqual([1, 3]);
  });

  it('setting a held key again replaces it without growing', () => {
    const cache = new RecentlyUsed<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
  });

  it('with a weight, holds at most maxWeight in total: the least recently used go until the new entry fits', () => {
    const cache = new RecentlyUsed<string, string>(10, { maxWeight: 10, weightOf: (key) => key.length });
    cache.set('aaaa', 'a');
    cache.set('bbbb', 'b');
    cache.get('aaaa');
    cache.set('cccccc', 'c');
    expect(cache.get('bbbb')).toBeUndefined();
    expect(cache.get('aaaa')).toBe('a');
    expect(cache.weight).toBe(10);
    cache.set('aaaa', 'again');
    expect(cache.weight).toBe(10);
    expect(cache.size).toBe(2);
  });

  it('never keeps an entry heavier than maxWeight alone, and keeps what it held', () => {
    const cache = new RecentlyUsed<string, string>(10, { maxWeight: 4, weightOf: (key) => key.length });
    cache.set('ab', 'x');
    cache.set('abcde', 'y');
    expect(cache.get('abcde')).toBeUndefined();
    expect(cache.get('ab')).toBe('x');
    expect(cache.weight).toBe(2);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new RecentlyUsed(0)).toThrow('capacity of at least 1');
  });
});
