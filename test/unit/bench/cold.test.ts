// The cold-start bench's arithmetic: median and best of the runs, and the verdict against issue 17's targets.
import { BUNDLE_TARGET_BYTES, COCKPIT_BYTES_BEFORE, timings, verdict, type ColdStartRow } from '../../../bench/cold';

const row = (fn: string, initBest: number, javaScriptBytes: number): ColdStartRow => ({
  fn,
  javaScriptBytes,
  zipBytes: 0,
  init: { median: initBest + 20, best: initBest },
  wall: { median: 0, best: 0 },
});

describe('cold-start bench', () => {
  it('takes the median (the mean of the middle two for an even count) and the best run', () => {
    expect(timings([30, 10, 20])).toEqual({ median: 20, best: 10 });
    expect(timings([40, 10, 20, 30])).toEqual({ median: 25, best: 10 });
    expect(() => timings([])).toThrow('no samples');
  });

  it('judges init on the best run and the bundle on its JavaScript bytes, naming each target missed', () => {
    expect(verdict(row('director', 100, BUNDLE_TARGET_BYTES))).toBe('met');
    expect(verdict(row('director', 101, BUNDLE_TARGET_BYTES))).toBe('NOT met (init > 100 ms)');
    expect(verdict(row('tokens', 120, BUNDLE_TARGET_BYTES + 1))).toBe('NOT met (init > 100 ms, JS > 1024 KiB)');
    expect(verdict(row('cockpit', 10, COCKPIT_BYTES_BEFORE + 1))).toBe('NOT met (JS > 133 KiB)');
    expect(verdict(row('bootstrap', 500, 5 * BUNDLE_TARGET_BYTES))).toBe('no target');
  });
});
