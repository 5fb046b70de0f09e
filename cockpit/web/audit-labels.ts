// How audit events read on the page: actions, actors and targets in words (pure: unit-tested beside the page logic).
import type { AuditEvent } from './queries';

const ACTION_NAMES: Record<string, string> = {
  APPLICATION_REGISTERED: 'Application registered',
  APPLICATION_UPDATED: 'Application updated',
  APPLICATION_UNREGISTERED: 'Application unregistered',
  APPLICATION_UNPAIRED: 'Application unpaired',
  PAIRING_DATA_GENERATED: 'Pairing data generated',
  CLIENT_CREDENTIALS_ISSUED: 'Client credentials issued',
  CLIENT_SECRET_ROTATED: 'Client secret rotated',
  CLIENT_SECRET_REVOKED: 'Client secret revoked',
  CLIENT_CREDENTIALS_REVOKED: 'Client credentials revoked',
  ONE_TIME_TOKEN_ISSUED: 'One-time token issued',
  ONE_TIME_TOKEN_REDEEMED: 'One-time token redeemed',
  ONE_TIME_TOKEN_REFUSED: 'One-time token refused',
  CSR_REFUSED: 'CSR refused',
  CERTIFICATE_ISSUED: 'Certificate issued',
  CERTIFICATE_RENEWED: 'Certificate renewed',
  CERTIFICATE_REVOKED: 'Certificate revoked',
  SYSTEM_AUTH_REVOKED: 'Credential revoked',
  ACCESS_TOKEN_GRANTED: 'Access token granted',
  CLIENT_AUTHENTICATION_REFUSED: 'Client authentication refused',
  ADMINISTRATOR_CREATED: 'Administrator created',
  ADMINISTRATOR_REVOKED: 'Administrator revoked',
  CLIENT_SECRETS_MIGRATED: 'Client secrets moved to verifiers',
  PUBLIC_KEY_ADDED: 'Public key added',
  PUBLIC_KEY_REMOVED: 'Public key removed',
  PAIRING_ADAPTER_NOTIFIED: 'Pairing adapter told of a deletion',
};

/** A certificate pairing spends two one-time tokens: the pairing data's (for configuration), then the one for the CSR. */
const TOKEN_PURPOSES: Record<string, string> = { CONFIGURATION: 'pairing token', CSR: 'CSR token' };

/** The action in words (one-time token events say which token); an action added later reads as its API name. */
export function actionName(action: string, details?: unknown): string {
  const name = ACTION_NAMES[action] ?? action;
  const purpose = action.startsWith('ONE_TIME_TOKEN_') && details && typeof details === 'object' ? (details as { purpose?: unknown }).purpose : undefined;
  return typeof purpose === 'string' && TOKEN_PURPOSES[purpose] ? `${name} (${TOKEN_PURPOSES[purpose]})` : name;
}

/**
 * Names for the ids events carry, as far as the page knows them (the tenant's applications and their live
 * credentials): an id it does not know (an unregistered application, a deleted credential) reads as its first characters.
 */
export interface AuditNames {
  applications: ReadonlyMap<string, string>;
  /** SystemAuth id -> its application's name and what one credential of its type is called (served by the Director). */
  credentials: ReadonlyMap<string, { application: string; credentialNoun: string }>;
}

export const NO_NAMES: AuditNames = { applications: new Map(), credentials: new Map() };

/** An id the page has no name for: short enough for a table cell (the whole id is on hover). */
export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

function credentialName(id: string, names: AuditNames): string {
  const known = names.credentials.get(id);
  return known ? `${known.credentialNoun} of ${known.application}` : `credential ${shortId(id)}`;
}

/** The ids behind a row's names, for its hover text and for copying. */
export function eventIds(event: Pick<AuditEvent, 'actor' | 'target'>): string {
  const ids = [
    event.actor.id && `actor ${event.actor.id}`,
    event.target.applicationId && `application ${event.target.applicationId}`,
    event.target.systemAuthId && `credential ${event.target.systemAuthId}`,
    event.target.certificateSerial && `certificate serial ${event.target.certificateSerial}`,
  ];
  return ids.filter(Boolean).join('\n');
}

const VIA_NAMES: Record<string, string> = { ONE_TIME_TOKEN: 'one-time token', OAUTH: 'OAuth client', CERTIFICATE: 'certificate' };

/** Who acted, e.g. "administrator 1f2e3d4c…", "invoices (certificate)", "admin CLI". An application acts through a credential (its id). */
export function actorName(actor: AuditEvent['actor'], names: AuditNames = NO_NAMES): string {
  switch (actor.kind) {
    case 'ADMINISTRATOR':
      return `administrator ${actor.id ? shortId(actor.id) : ''}`.trim();
    case 'APPLICATION': {
      const known = actor.id ? names.credentials.get(actor.id) : undefined;
      const who = known ? known.application : `application ${actor.id ? shortId(actor.id) : ''}`.trim();
      return `${who}${actor.via ? ` (${VIA_NAMES[actor.via] ?? actor.via})` : ''}`;
    }
    case 'CLI':
      return 'admin CLI';
    case 'UNAUTHENTICATED': {
      if (!actor.id) return 'unauthenticated';
      const known = names.credentials.get(actor.id);
      return `unauthenticated, claimed ${known ? credentialName(actor.id, names) : shortId(actor.id)}`;
    }
  }
}

/** What was acted on: the certificate's serial, else the credential, else the application, by name where known. */
export function targetName(target: AuditEvent['target'], names: AuditNames = NO_NAMES): string {
  const parts: string[] = [];
  if (target.certificateSerial) parts.push(`certificate ${shortId(target.certificateSerial)}`);
  if (target.systemAuthId) parts.push(credentialName(target.systemAuthId, names));
  const application = target.applicationId ? names.applications.get(target.applicationId) : undefined;
  // A known credential already names its application.
  if (target.applicationId && !(target.systemAuthId && names.credentials.has(target.systemAuthId))) {
    parts.push(application ?? `application ${shortId(target.applicationId)}`);
  }
  return parts.length ? parts.join(', ') : '—';
}

/** Why, and for aggregated repeats how many: "wrong secret (×49)"; empty for a plain success. */
export function outcomeDetail(event: Pick<AuditEvent, 'reason' | 'count'>): string {
  return [event.reason ?? '', event.count > 1 ? `(×${event.count})` : ''].filter(Boolean).join(' ');
}
