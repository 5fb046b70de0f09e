// Time in the forms DynamoDB stores it: epoch seconds (TTL attributes, token expiries).

/** A day, in the two units the code counts in. */
export const DAY_SECONDS = 86_400;
export const DAY_MS = DAY_SECONDS * 1000;

export const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

/** True from the second `expiresAt` (epoch seconds) on: the same boundary as the `expiresAt > :now` conditions of writes. */
export const isPast = (expiresAt: number, now: Date): boolean => expiresAt <= epochSeconds(now);
