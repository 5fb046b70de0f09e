// How times, durations, pairing types and certificates read on the page.

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
  PRIVATE_KEY_JWT: 'Private key JWT (OAuth 2.0, public key)',
};

/** A pairing (auth) type in words; a type added later reads as its API name. */
export function authTypeName(type: string): string {
  return AUTH_TYPE_NAMES[type] ?? type;
}

/** A SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it (AB:CD:…), cut to its first six bytes. */
export function shortFingerprint(hex: string): string {
  const bytes = hex.replace(/[^0-9a-f]/gi, '').toUpperCase().match(/../g) ?? [];
  return bytes.length > 6 ? `${bytes.slice(0, 6).join(':')}…` : bytes.join(':');
}

/**
 * The certificate one was renewed from (`renewedFrom` is its fingerprint), named the way the page names
 * certificates: by its serial when it is listed beside it, else by its short fingerprint.
 */
export function renewedFromName(
  renewedFrom: string | null,
  listed: readonly { serialNumber: string; sha256Fingerprint: string }[],
): { label: 'serial' | 'SHA-256'; value: string } | null {
  if (!renewedFrom) return null;
  const origin = listed.find((certificate) => certificate.sha256Fingerprint.toLowerCase() === renewedFrom.toLowerCase());
  return origin ? { label: 'serial', value: origin.serialNumber } : { label: 'SHA-256', value: shortFingerprint(renewedFrom) };
}

/** What the page says after revokeIssuedCertificate answered with `revokedCount` certificates (the named one and its renewals). */
export function certificateRevocationNotice(serialNumber: string, revokedCount: number): string {
  if (revokedCount <= 0) return `No certificate was revoked: ${serialNumber} is no longer recorded.`;
  if (revokedCount === 1) return `Revoked 1 certificate: ${serialNumber} no longer works (none was renewed from it). The credential itself stays.`;
  return `Revoked ${revokedCount} certificates: ${serialNumber} and the ${revokedCount - 1} renewed from it no longer work. The credential itself stays.`;
}

/** What a credential can do now, beyond its status: a certificate credential whose every certificate is revoked or expired cannot call. */
export type CredentialUse = 'usable' | 'waiting' | 'no-live-certificate' | 'revoked';

export function credentialUse(
  auth: { type: string; status: string; certificates: readonly { revoked: boolean; notAfter: string }[] | null },
  now: number,
): CredentialUse {
  if (auth.status === 'REVOKED' || auth.status === 'EXPIRED') return 'revoked';
  if (auth.status === 'PENDING') return 'waiting';
  if (auth.type !== 'CLIENT_CERTIFICATE') return 'usable';
  const certificates = auth.certificates ?? [];
  if (certificates.length === 0) return 'waiting';
  return certificates.some((certificate) => !certificate.revoked && Date.parse(certificate.notAfter) > now) ? 'usable' : 'no-live-certificate';
}
