// Service ids are lower-case UUIDs; messages quote a caller's id cut short.
import { randomUUID } from 'node:crypto';
import { isServiceId, quotedId } from '../../shared/ids';

describe('isServiceId', () => {
  it('accepts the UUIDs the service mints', () => {
    expect(isServiceId(randomUUID())).toBe(true);
  });

  it.each(['', ' ', 'garbage', 'name#orders', `${randomUUID()}x`, randomUUID().toUpperCase(), 'a'.repeat(3000)])('refuses %j', (id) => {
    expect(isServiceId(id)).toBe(false);
  });
});

describe('quotedId', () => {
  it('quotes an id of ordinary length whole', () => {
    const id = randomUUID();
    expect(quotedId(id)).toBe(`"${id}"`);
    expect(quotedId('')).toBe('""');
  });

  it('cuts an id longer than 64 characters and marks the cut', () => {
    expect(quotedId('b'.repeat(64))).toBe(`"${'b'.repeat(64)}"`);
    expect(quotedId('b'.repeat(3000))).toBe(`"${'b'.repeat(64)}…"`);
  });

  it('escapes quotes and control characters so the message stays one line', () => {
    expect(quotedId('a"b\nc')).toBe('"a\\"b\\nc"');
  });
});
