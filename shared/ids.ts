// The ids this service mints (UUIDs), and how a message written for a client quotes an id the client sent.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Applications and SystemAuths have UUID ids: anything else names nothing of ours and need not reach DynamoDB. */
export const isServiceId = (id: string): boolean => UUID.test(id);

/** Long enough for any id of ours; a caller's 3000-character "id" is not sent back to it in full. */
const QUOTED_ID_MAX_LENGTH = 64;

/** The id as an error message shows it: quoted, and cut short (marked with an ellipsis) when it is longer than any id of ours. */
export function quotedId(id: string): string {
  return JSON.stringify(id.length > QUOTED_ID_MAX_LENGTH ? `${id.slice(0, QUOTED_ID_MAX_LENGTH)}…` : id);
}
