// The announced CSR subject: its text form, its RDN order, and how a mismatch is explained.
import { announcedSubject, describeSubjectMismatch, formatSubject, subjectRdn } from '../../../shared/certificates/subject';
import { TEST_SUBJECT_DEFAULTS } from './csr-builder';

const subject = announcedSubject('sa-1', TEST_SUBJECT_DEFAULTS);

test('the announced subject is O, OU, L, ST, C from configuration then CN = the SystemAuth id', () => {
  expect(formatSubject(subject)).toBe('O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=sa-1');
  expect(subject.map((rdn) => rdn.oid)).toEqual(['2.5.4.10', '2.5.4.11', '2.5.4.7', '2.5.4.8', '2.5.4.6', '2.5.4.3']);
});

test('values with separators are escaped so the text still splits into the same RDNs', () => {
  const tricky = announcedSubject('sa-1', { ...TEST_SUBJECT_DEFAULTS, organization: 'Acme, Inc.', organizationalUnit: '#1 "Team"+ ' });
  expect(formatSubject(tricky)).toBe('O=Acme\\, Inc.,OU=\\#1 \\"Team\\"\\+\\ ,L=Berlin,ST=Berlin,C=DE,CN=sa-1');
});

test('unknown attribute types are shown by OID', () => {
  expect(formatSubject([subjectRdn('1.2.3.4', 'x')])).toBe('1.2.3.4=x');
});

test.each([
  ['the same subject', subject, undefined],
  ['a different CN', announcedSubject('sa-2', TEST_SUBJECT_DEFAULTS), 'CN must be "sa-1", got "sa-2"'],
  ['a missing OU', subject.filter((rdn) => rdn.name !== 'OU'), 'OU is missing'],
  ['a missing last RDN', subject.slice(0, 5), 'CN is missing'],
  ['an extra RDN at the end', [...subject, subjectRdn('2.5.4.5', '42')], 'unexpected extra attribute 2.5.4.5'],
  ['swapped L and ST', [subject[0]!, subject[1]!, subject[3]!, subject[2]!, subject[4]!, subject[5]!], 'attributes are out of order: position 3 must be L, got ST'],
  ['a very long value', announcedSubject('x'.repeat(500), TEST_SUBJECT_DEFAULTS), `CN must be "sa-1", got "${'x'.repeat(80)}..."`],
])('mismatch explanation: %s', (_, actual, explanation) => {
  expect(describeSubjectMismatch(actual, subject)).toBe(explanation);
});
