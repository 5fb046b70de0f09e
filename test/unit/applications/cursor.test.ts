// Pins the opaque list cursor: it round-trips, is URL-safe, and anything not made by encodeCursor is BAD_USER_INPUT.
import { decodeCursor, encodeCursor } from '../../../shared/applications/cursor';
import { BadUserInputError } from '../../../shared/errors';

const position = {
  createdKey: '2026-11-28T15:04:05.000Z#0b6e3c1e-6a0f-4c57-9a43-2a8f9a3b7c11',
  id: '0b6e3c1e-6a0f-4c57-9a43-2a8f9a3b7c11',
};

describe('application cursors', () => {
  it('round-trip and are base64url', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['an empty string', ''],
    ['garbage', 'not a cursor!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['base64 of a JSON string', encode('x')],
    ['base64 of JSON null', encode(null)],
    ['missing fields', encode({ c: position.createdKey })],
    ['a created key of the wrong shape', encode({ c: 'yesterday#x', i: position.id })],
    ['an id that does not match the created key', encode({ c: position.createdKey, i: '11111111-6a0f-4c57-9a43-2a8f9a3b7c11' })],
    ['a tenant smuggled in as an extra key only', encode({ t: 'other', c: 'x', i: 'y' })],
    ['an overlong cursor', 'A'.repeat(1000)],
  ])('refuses %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(BadUserInputError);
    expect(() => decodeCursor(cursor)).toThrow('after: is not a cursor returned by applications');
  });
});
