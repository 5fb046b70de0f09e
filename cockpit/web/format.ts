// How times, durations and pairing types read on the page.

/** A timestamp in the reader's locale, or a dash when there is none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Time left until `deadline` as "4:59" (or "1:02:03"); "expired" once it has passed. */
export function formatCountdown(deadline: number, now: number): string {
  const left = Math.floor((deadline - now) / 1000);
  if (left <= 0) return 'expired';
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = String(left % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

const AUTH_TYPE_NAMES: Record<string, string> = {
  OAUTH2_CLIENT_CREDENTIALS: 'OAuth 2.0 client credentials',
  CLIENT_CERTIFICATE: 'Client certificate',
};

/** A pairing (auth) type in words; a type added later reads as its API name. */
export function authTypeName(type: string): string {
  return AUTH_TYPE_NAMES[type] ?? type;
}
