// Opaque page cursors of the applications list: base64url of the last item's position in the byCreated index.
import { BadUserInputError } from '../errors';

/** Where a page ended: the byCreated sort key and the table sort key of its last application. */
export interface ApplicationCursor {
  createdKey: string;
  id: string;
}

// The tenant is deliberately not part of the cursor: it always comes from the caller, so a cursor
// handed to another tenant can only ever point into that tenant's own list.
export function encodeCursor(cursor: ApplicationCursor): string {
  return Buffer.from(JSON.stringify({ c: cursor.createdKey, i: cursor.id }), 'utf8').toString('base64url');
}

const MAX_CURSOR_LENGTH = 512;
const CREATED_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;
const ID = /^[0-9a-f-]{36}$/;

/** The position a cursor from `encodeCursor` names; anything else is BAD_USER_INPUT. */
export function decodeCursor(text: string): ApplicationCursor {
  const invalid = () => new BadUserInputError('after: is not a cursor returned by applications (use pageInfo.endCursor)');
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid();
  const { c, i } = decoded as { c?: unknown; i?: unknown };
  if (typeof c !== 'string' || typeof i !== 'string' || !CREATED_KEY.test(c) || !ID.test(i) || !c.endsWith(`#${i}`)) throw invalid();
  return { createdKey: c, id: i };
}
