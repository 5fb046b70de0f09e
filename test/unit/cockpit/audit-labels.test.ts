// How Cockpit words audit events: actions, actors, targets, and the detail of refusals.
import { actionName, actorName, outcomeDetail, targetName } from '../../../cockpit/web/audit-labels';

const none = { id: null, via: null, certificateFingerprint: null };

test('actions read in words; an unknown action reads as its API name', () => {
  expect(actionName('CERTIFICATE_RENEWED')).toBe('Certificate renewed');
  expect(actionName('SOMETHING_NEW')).toBe('SOMETHING_NEW');
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
