// How Cockpit words audit events: actions, actors, targets, and the detail of refusals.
import { actionName, actorName, eventIds, outcomeDetail, targetName, type AuditNames } from '../../../cockpit/web/audit-labels';

const none = { id: null, via: null, certificateFingerprint: null };

test('actions read in words; an unknown action reads as its API name', () => {
  expect(actionName('CERTIFICATE_RENEWED')).toBe('Certificate renewed');
  expect(actionName('SOMETHING_NEW')).toBe('SOMETHING_NEW');
});

test("a certificate pairing's two one-time tokens read apart, by purpose", () => {
  expect(actionName('ONE_TIME_TOKEN_ISSUED', { purpose: 'CONFIGURATION', expiresAt: 'x' })).toBe('One-time token issued (pairing token)');
  expect(actionName('ONE_TIME_TOKEN_REDEEMED', { purpose: 'CSR' })).toBe('One-time token redeemed (CSR token)');
  expect(actionName('ONE_TIME_TOKEN_REFUSED', {})).toBe('One-time token refused');
  expect(actionName('CERTIFICATE_ISSUED', { purpose: 'CSR' })).toBe('Certificate issued');
});

const APP = '9f05a601-1111-4222-8333-444455556666';
const AUTH = '5ddea6fc-1111-4222-8333-444455556666';
const names: AuditNames = { applications: new Map([[APP, 'invoices']]), credentials: new Map([[AUTH, { application: 'invoices', credentialNoun: 'client certificate' }]]) };

test('applications and credentials read by name where the page knows them, else by a short id; the ids stay on hover', () => {
  expect(actorName({ ...none, kind: 'APPLICATION', id: AUTH, via: 'CERTIFICATE' }, names)).toBe('invoices (certificate)');
  expect(actorName({ ...none, kind: 'APPLICATION', id: 'e0000000-1111-4222-8333-444455556666', via: 'OAUTH' }, names)).toBe('application e0000000… (OAuth client)');
  expect(actorName({ ...none, kind: 'ADMINISTRATOR', id: 'c1c1c1c1-1111-4222-8333-444455556666' }, names)).toBe('administrator c1c1c1c1…');
  expect(targetName({ applicationId: APP, systemAuthId: AUTH, certificateSerial: null, certificateFingerprint: null }, names)).toBe('client certificate of invoices');
  expect(targetName({ applicationId: APP, systemAuthId: null, certificateSerial: null, certificateFingerprint: null }, names)).toBe('invoices');
  expect(targetName({ applicationId: 'a0000000-1111-4222-8333-444455556666', systemAuthId: null, certificateSerial: null, certificateFingerprint: null }, names)).toBe('application a0000000…');
  expect(eventIds({ actor: { ...none, kind: 'APPLICATION', id: AUTH }, target: { applicationId: APP, systemAuthId: AUTH, certificateSerial: '2de9', certificateFingerprint: null } })).toBe(
    `actor ${AUTH}\napplication ${APP}\ncredential ${AUTH}\ncertificate serial 2de9`,
  );
});

test('actors name who acted and how an application authenticated', () => {
  expect(actorName({ ...none, kind: 'ADMINISTRATOR', id: 'c1' })).toBe('administrator c1');
  expect(actorName({ ...none, kind: 'APPLICATION', id: 's1', via: 'CERTIFICATE', certificateFingerprint: 'ab' })).toBe('application s1 (certificate)');
  expect(actorName({ ...none, kind: 'CLI' })).toBe('admin CLI');
  expect(actorName({ ...none, kind: 'UNAUTHENTICATED', id: 'c9' })).toBe('unauthenticated, claimed c9');
  expect(actorName({ ...none, kind: 'UNAUTHENTICATED' })).toBe('unauthenticated');
});

test('targets name the certificate first, then the credential and the application', () => {
  expect(targetName({ applicationId: 'a1', systemAuthId: 's1', certificateSerial: '5c1f', certificateFingerprint: 'ff' })).toBe('certificate 5c1f, credential s1, application a1');
  expect(targetName({ applicationId: null, systemAuthId: null, certificateSerial: null, certificateFingerprint: null })).toBe('—');
});

test('a refusal shows its reason and, aggregated, how many it stands for', () => {
  expect(outcomeDetail({ reason: 'wrong secret', count: 49 })).toBe('wrong secret (×49)');
  expect(outcomeDetail({ reason: 'spent', count: 1 })).toBe('spent');
  expect(outcomeDetail({ reason: null, count: 1 })).toBe('');
});
