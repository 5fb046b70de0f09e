// setBounded: the per-process caches keyed by client ids never hold more than their capacity, dropping expired entries first, then the oldest.
import { setBounded } from '../../shared/bounded-map';

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
