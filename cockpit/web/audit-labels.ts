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
};

/** The action in words; an action added later reads as its API name. */
export function actionName(action: string): string {
  return ACTION_NAMES[action] ?? action;
}

const VIA_NAMES: Record<string, string> = { ONE_TIME_TOKEN: 'one-time token', OAUTH: 'OAuth client', CERTIFICATE: 'certificate' };

/** Who acted, e.g. "administrator 1f2e…", "application 7a3c… (certificate)", "admin CLI". */
export function actorName(actor: AuditEvent['actor']): string {
  switch (actor.kind) {
    case 'ADMINISTRATOR':
      return `administrator ${actor.id ?? ''}`.trim();
    case 'APPLICATION':
      return `application ${actor.id ?? ''}${actor.via ? ` (${VIA_NAMES[actor.via] ?? actor.via})` : ''}`;
    case 'CLI':
      return 'admin CLI';
    case 'UNAUTHENTICATED':
      return actor.id ? `unauthenticated, claimed ${actor.id}` : 'unauthenticated';
  }
}

/** What was acted on: the certificate's serial, else the credential, else the application. */
export function targetName(target: AuditEvent['target']): string {
  const parts: string[] = [];
  if (target.certificateSerial) parts.push(`certificate ${target.certificateSerial}`);
  if (target.systemAuthId) parts.push(`credential ${target.systemAuthId}`);
  if (target.applicationId) parts.push(`application ${target.applicationId}`);
  return parts.length ? parts.join(', ') : '—';
}

/** Why, and for aggregated repeats how many: "wrong secret (×49)"; empty for a plain success. */
export function outcomeDetail(event: Pick<AuditEvent, 'reason' | 'count'>): string {
  return [event.reason ?? '', event.count > 1 ? `(×${event.count})` : ''].filter(Boolean).join(' ');
}
