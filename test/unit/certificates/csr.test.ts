// validateCsr: which CSRs the Connector accepts, and the rule each rejected one is refused by.
import { execFileSync } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { BadUserInputError } from '../../../shared/errors';
import { CsrRefusedError, validateCsr } from '../../../shared/certificates/csr';
import { testCertificateAuthority } from './key-object-signer';
import {
  base64Pem,
  buildCsrDer,
  ECDSA_WITH_SHA256,
  ecKeyPair,
  ED25519,
  ed25519KeyPair,
  expectedSubject,
  exponentOneKey,
  goodCsrDer,
  rawRsaCsrDer,
  rdnsOf,
  rsaKeyOfPrimes,
  rsaKeyPair,
  rsaPrime,
  SHA256_WITH_RSA,
  toPem,
  type KeyPair,
} from './csr-builder';

const ID = 'a3f0c2d4-5b6e-4f70-8a91-b2c3d4e5f607';
const SUBJECT = expectedSubject(ID);
const OPENSSL_SUBJECT = `/O=Pairing Service/OU=Applications/L=Berlin/ST=Berlin/C=DE/CN=${ID}`;

let rsa2048: KeyPair;
let rsa4096: KeyPair;
let p256: KeyPair;
let workDir: string;

beforeAll(async () => {
  rsa2048 = rsaKeyPair(2048);
  p256 = ecKeyPair('prime256v1');
  rsa4096 = await promisify(generateKeyPair)('rsa', { modulusLength: 4096 });
  workDir = mkdtempSync(join(tmpdir(), 'csr-test-'));
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The error validateCsr throws for this input: a BadUserInputError (BAD_USER_INPUT to the client) carrying its rule. */
function refusal(input: string, expected = SUBJECT): CsrRefusedError {
  try {
    validateCsr(input, expected);
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(error).toBeInstanceOf(CsrRefusedError);
    return error as CsrRefusedError;
  }
  throw new Error('validateCsr accepted the input');
}

/** The message of the BadUserInputError validateCsr throws for this input. */
const rejection = (input: string, expected = SUBJECT): string => refusal(input, expected).message;

function opensslCsr(keyArgs: string[], extra: string[] = [], subject = OPENSSL_SUBJECT): string {
  const keyFile = join(workDir, `key-${Math.random()}.pem`);
  execFileSync('openssl', ['genpkey', ...keyArgs, '-out', keyFile], { stdio: 'ignore' });
  return execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', subject, ...extra], { encoding: 'utf8' });
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('accepted CSRs', () => {
  test('RSA-2048 as base64 of PEM: returns the key, subject, SPKI and CSR hash', () => {
    const der = goodCsrDer(rsa2048, ID);
    const csr = validateCsr(base64Pem(der), SUBJECT);
    expect(csr.key).toEqual({ type: 'RSA', bits: 2048 });
    expect(csr.keyDescription).toBe('RSA 2048 bits');
    expect(csr.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(csr.subject).toEqual(SUBJECT);
    expect(csr.subjectPublicKeyInfoDer.equals(rsa2048.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(csr.csrSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the same CSR as plain PEM and as base64 of PEM has the same hash; another CSR has another', () => {
    const der = goodCsrDer(rsa2048, ID);
    const fromBase64 = validateCsr(base64Pem(der), SUBJECT);
    const fromPem = validateCsr(toPem(der), SUBJECT);
    expect(fromPem.csrSha256).toBe(fromBase64.csrSha256);
    expect(validateCsr(base64Pem(goodCsrDer(p256, ID, ECDSA_WITH_SHA256)), SUBJECT).csrSha256).not.toBe(fromBase64.csrSha256);
  });

  test('RSA-4096', () => {
    expect(validateCsr(base64Pem(goodCsrDer(rsa4096, ID)), SUBJECT).key).toEqual({ type: 'RSA', bits: 4096 });
  });

  test('EC P-256 with ECDSA-SHA256', () => {
    const csr = validateCsr(base64Pem(goodCsrDer(p256, ID, ECDSA_WITH_SHA256)), SUBJECT);
    expect(csr.key).toEqual({ type: 'EC', curve: 'P-256' });
    expect(csr.signatureAlgorithm).toBe('ecdsa-with-SHA256');
  });

  test('"NEW CERTIFICATE REQUEST" PEM label and CRLF line ends', () => {
    const pem = toPem(goodCsrDer(rsa2048, ID), 'NEW CERTIFICATE REQUEST').replace(/\n/g, '\r\n');
    expect(validateCsr(b64(pem), SUBJECT).key.type).toBe('RSA');
  });

  test('CSRs made by the openssl CLI: RSA-2048 SHA-384, EC P-256 SHA-512, RSA-PSS', () => {
    const rsa = opensslCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-sha384']);
    expect(validateCsr(b64(rsa), SUBJECT).signatureAlgorithm).toBe('sha384WithRSAEncryption');
    const ec = opensslCsr(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-sha512']);
    expect(validateCsr(ec, SUBJECT).signatureAlgorithm).toBe('ecdsa-with-SHA512');
    const pss = opensslCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
    expect(validateCsr(b64(pss), SUBJECT).signatureAlgorithm).toBe('RSASSA-PSS with SHA256');
  });

  test('a CSR made by node-forge (PrintableString values)', () => {
    const key = forge.pki.privateKeyFromPem(rsa2048.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
    const request = forge.pki.createCertificationRequest();
    request.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
    request.setSubject(SUBJECT.map((rdn) => ({ type: rdn.oid, value: rdn.value })));
    request.sign(key, forge.md.sha256.create());
    expect(validateCsr(b64(forge.pki.certificationRequestToPem(request)), SUBJECT).subject).toEqual(SUBJECT);
  });

  test('the test builder writes CSRs that openssl itself verifies', () => {
    const file = join(workDir, 'built.csr');
    writeFileSync(file, toPem(goodCsrDer(p256, ID, ECDSA_WITH_SHA256)));
    expect(execFileSync('openssl', ['req', '-in', file, '-verify', '-noout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
  });
});

describe('subject rule', () => {
  const withRdns = (rdns: ReturnType<typeof rdnsOf>) => base64Pem(buildCsrDer({ ...rsa2048, rdns, signature: SHA256_WITH_RSA }));

  test('wrong CN names CN and the expected subject', () => {
    const message = rejection(base64Pem(goodCsrDer(rsa2048, 'someone-else')));
    expect(message).toContain(`the subject must be exactly "O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=${ID}"`);
    expect(message).toContain('CN must be');
    expect(message).toContain('got "someone-else"');
  });

  test('a missing RDN', () => {
    expect(rejection(withRdns(rdnsOf(SUBJECT).filter((_, i) => i !== 2)))).toMatch(/subject must be exactly .*L is missing/);
  });

  test('an extra RDN', () => {
    const rdns = [...rdnsOf(SUBJECT), [{ oid: '2.5.4.5', value: 'serial-1' }]];
    expect(rejection(withRdns(rdns))).toMatch(/subject must be exactly .*unexpected extra attribute 2\.5\.4\.5/);
  });

  test('a repeated RDN', () => {
    const rdns = rdnsOf(SUBJECT);
    rdns.splice(1, 0, [{ oid: '2.5.4.11', value: 'Applications' }]);
    expect(rejection(withRdns(rdns))).toMatch(/unexpected extra attribute OU/);
  });

  test('reordered RDNs (RFC 4514 order, CN first)', () => {
    expect(rejection(withRdns(rdnsOf(SUBJECT).reverse()))).toMatch(/subject must be exactly .*out of order: position 1 must be O, got CN/);
  });

  test('two attributes in one RDN', () => {
    const rdns = rdnsOf(SUBJECT);
    const merged = [...rdns.slice(0, 4), [...rdns[4]!, ...rdns[5]!]];
    expect(rejection(withRdns(merged))).toMatch(/RDN 5 holds 2 attributes; each RDN must hold exactly one/);
  });

  test('values are compared exactly (case matters)', () => {
    const rdns = rdnsOf(SUBJECT);
    rdns[0] = [{ oid: '2.5.4.10', value: 'pairing service' }];
    expect(rejection(withRdns(rdns))).toMatch(/O must be "Pairing Service", got "pairing service"/);
  });
});

describe('key rule', () => {
  test('RSA-1024 is refused naming the size', () => {
    expect(rejection(base64Pem(goodCsrDer(rsaKeyPair(1024), ID)))).toBe(
      'Invalid CSR: the key must be RSA of 2048 to 4096 bits or EC P-256, got RSA 1024 bits',
    );
  });

  test('RSA-8192 (openssl-made fixture) is refused naming the size', () => {
    const pem = readFileSync(join(__dirname, 'fixtures', 'rsa-8192.csr.pem'), 'utf8');
    expect(rejection(b64(pem), expectedSubject('fixture-system-auth'))).toMatch(/got RSA 8192 bits$/);
  });

  test('EC secp384r1 is refused naming the curve', () => {
    const keys = ecKeyPair('secp384r1');
    expect(rejection(base64Pem(goodCsrDer(keys, ID, ECDSA_WITH_SHA256)))).toMatch(/got EC secp384r1$/);
  });

  test('Ed25519 is refused', () => {
    expect(rejection(base64Pem(goodCsrDer(ed25519KeyPair(), ID, ED25519)))).toMatch(/got Ed25519$/);
  });
});

describe('RSA key strength rule (CA/Browser Forum Baseline Requirements 6.1.6)', () => {
  // One large prime for every weak modulus below: prime generation, not validation, would dominate the run time.
  let largePrime: bigint;
  beforeAll(() => {
    largePrime = rsaPrime(2047);
  });

  const opensslVerifies = (der: Buffer) => {
    const file = join(workDir, `weak-${Math.random()}.csr`);
    writeFileSync(file, toPem(der));
    return execFileSync('openssl', ['req', '-in', file, '-verify', '-noout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) === '';
  };

  test('a CSR built the same hand-made way from two sound primes is accepted: each refusal below is the key rule, not the builder', () => {
    const key = rsaKeyOfPrimes([rsaPrime(1024), rsaPrime(1024)]);
    expect(validateCsr(base64Pem(rawRsaCsrDer(key, ID)), SUBJECT).key).toEqual({ type: 'RSA', bits: 2048 });
  });

  test('public exponent 3 is refused naming the exponent', () => {
    expect(rejection(base64Pem(goodCsrDer(rsaKeyPair(2048, 3), ID)))).toBe('Invalid CSR: the RSA public exponent must be 65537, got 3');
  });

  test('public exponent 1 over a random number is refused, though its self-signature verifies (openssl agrees): anyone can make it', () => {
    const der = rawRsaCsrDer(exponentOneKey(), ID);
    expect(opensslVerifies(der)).toBe(true);
    expect(rejection(base64Pem(der))).toBe('Invalid CSR: the RSA public exponent must be 65537, got 1');
  });

  test('an even modulus is refused', () => {
    const der = rawRsaCsrDer(rsaKeyOfPrimes([2n, largePrime]), ID);
    expect(rejection(base64Pem(der))).toBe('Invalid CSR: the RSA modulus must be odd, it is even');
  });

  test.each([3, 751])('a modulus with the factor %i is refused, though its self-signature verifies', (factor) => {
    const der = rawRsaCsrDer(rsaKeyOfPrimes([BigInt(factor), largePrime]), ID);
    expect(opensslVerifies(der)).toBe(true);
    expect(rejection(base64Pem(der))).toBe(`Invalid CSR: the RSA modulus must have no prime factor below 752, it is divisible by ${factor}`);
  });

  test('the key size rule comes first: RSA-1024 with exponent 3 is refused for its size', () => {
    expect(rejection(base64Pem(goodCsrDer(rsaKeyPair(1024, 3), ID)))).toMatch(/got RSA 1024 bits$/);
  });
});

describe('signature rule', () => {
  test('a tampered signature fails proof of possession', () => {
    const der = goodCsrDer(rsa2048, ID);
    der[der.length - 10]! ^= 0x01;
    expect(rejection(base64Pem(der))).toMatch(/signature does not verify .*proof of possession/);
  });

  test('a subject changed after signing fails proof of possession', () => {
    const der = goodCsrDer(rsa2048, ID);
    const at = der.indexOf(Buffer.from('Berlin'));
    der[at] = 'b'.charCodeAt(0);
    expect(rejection(base64Pem(der))).toMatch(/signature does not verify/);
  });

  test('an ECDSA CSR signed by another key fails proof of possession', () => {
    const other = ecKeyPair('prime256v1');
    const der = buildCsrDer({ privateKey: other.privateKey, publicKey: p256.publicKey, rdns: rdnsOf(SUBJECT), signature: ECDSA_WITH_SHA256 });
    expect(rejection(base64Pem(der))).toMatch(/signature does not verify/);
  });

  test('SHA-1 signatures are refused as unsupported', () => {
    const sha1: typeof SHA256_WITH_RSA = { ...SHA256_WITH_RSA, oid: '1.2.840.113549.1.1.5', hash: 'sha1' };
    expect(rejection(base64Pem(buildCsrDer({ ...rsa2048, rdns: rdnsOf(SUBJECT), signature: sha1 })))).toMatch(
      /unsupported signature algorithm 1\.2\.840\.113549\.1\.1\.5/,
    );
  });

  test('an algorithm that does not fit the key is refused', () => {
    const lying = { ...ECDSA_WITH_SHA256, hash: 'sha256' };
    const der = buildCsrDer({ ...rsa2048, rdns: rdnsOf(SUBJECT), signature: lying });
    expect(rejection(base64Pem(der))).toMatch(/ecdsa-with-SHA256 does not fit the RSA 2048 bits key/);
  });
});

describe('encoding and structure rules', () => {
  test('empty input', () => {
    expect(rejection('')).toBe('Invalid CSR: the CSR is empty');
    expect(rejection('  \n ')).toBe('Invalid CSR: the CSR is empty');
  });

  test('1 MB of garbage is refused by size before parsing', () => {
    expect(rejection('A'.repeat(1024 * 1024))).toMatch(/longer than 16384 characters/);
  });

  test('non-base64 text', () => {
    expect(rejection('this is not a CSR!')).toMatch(/must be base64 of a PEM certificate signing request/);
  });

  test('base64 of something that is not PEM', () => {
    expect(rejection(b64('hello world'))).toMatch(/does not decode to PEM text/);
  });

  test('base64 of DER without the PEM armour', () => {
    expect(rejection(goodCsrDer(rsa2048, ID).toString('base64'))).toMatch(/does not decode to PEM text/);
  });

  test('truncated DER', () => {
    const der = goodCsrDer(rsa2048, ID);
    expect(rejection(base64Pem(der.subarray(0, der.length - 20)))).toMatch(/not a PKCS#10 certificate signing request \(malformed or truncated DER\)/);
  });

  test('trailing bytes after the DER', () => {
    const der = Buffer.concat([goodCsrDer(rsa2048, ID), Buffer.from([0, 0])]);
    expect(rejection(base64Pem(der))).toMatch(/not a PKCS#10 certificate signing request/);
  });

  test('a PEM body that is not base64', () => {
    expect(rejection('-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----')).toMatch(/not a single well-formed/);
    expect(rejection('-----BEGIN CERTIFICATE REQUEST-----\nQUJD=A\n-----END CERTIFICATE REQUEST-----')).toMatch(/PEM body is not valid base64/);
  });

  describe('a certificate instead of a CSR', () => {
    let certificateDer: Buffer;
    beforeAll(async () => {
      const { authority } = await testCertificateAuthority();
      const issued = await authority.issue(validateCsr(base64Pem(goodCsrDer(rsa2048, ID)), SUBJECT), { validityDays: 1 });
      certificateDer = Buffer.from(issued.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    });

    test('labelled CERTIFICATE', () => {
      expect(rejection(base64Pem(certificateDer, 'CERTIFICATE'))).toMatch(/not a PKCS#10 certificate signing request \(the PEM block is a "CERTIFICATE"/);
    });

    test('relabelled as CERTIFICATE REQUEST', () => {
      expect(rejection(base64Pem(certificateDer))).toMatch(/not a PKCS#10 certificate signing request \(this is an X.509 certificate\)/);
    });
  });

  test('a private key instead of a CSR', () => {
    const pem = rsa2048.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(rejection(b64(pem))).toMatch(/the PEM block is a "PRIVATE KEY"/);
    const relabelled = toPem(rsa2048.privateKey.export({ type: 'pkcs8', format: 'der' }));
    expect(rejection(b64(relabelled))).toMatch(/not a PKCS#10 certificate signing request/);
  });

  test('mismatched BEGIN and END labels', () => {
    const pem = toPem(goodCsrDer(rsa2048, ID)).replace('END CERTIFICATE REQUEST', 'END CERTIFICATE');
    expect(rejection(pem)).toMatch(/begins with "CERTIFICATE REQUEST" but ends with "CERTIFICATE"/);
  });

  test('two PEM blocks', () => {
    const pem = toPem(goodCsrDer(rsa2048, ID));
    expect(rejection(pem + pem)).toMatch(/not a single well-formed/);
  });
});

describe('rule codes (the metrics count refusals by them, whatever the words)', () => {
  test('each rejection carries the code of the rule it broke', () => {
    const tampered = goodCsrDer(rsa2048, ID);
    tampered[tampered.length - 10]! ^= 0x01;
    const truncated = goodCsrDer(rsa2048, ID);
    const lying = buildCsrDer({ ...rsa2048, rdns: rdnsOf(SUBJECT), signature: { ...ECDSA_WITH_SHA256, hash: 'sha256' } });
    const rules = {
      empty: refusal('').rule,
      tooLong: refusal('A'.repeat(1024 * 1024)).rule,
      notBase64Pem: refusal('this is not a CSR!').rule,
      truncated: refusal(base64Pem(truncated.subarray(0, truncated.length - 20))).rule,
      smallExponent: refusal(base64Pem(goodCsrDer(rsaKeyPair(2048, 3), ID))).rule,
      shortKey: refusal(base64Pem(goodCsrDer(rsaKeyPair(1024), ID))).rule,
      algorithmNotFittingKey: refusal(base64Pem(lying)).rule,
      tamperedSignature: refusal(base64Pem(tampered)).rule,
      otherSubject: refusal(base64Pem(goodCsrDer(rsa2048, 'someone-else'))).rule,
    };
    expect(rules).toEqual({
      empty: 'ENCODING',
      tooLong: 'ENCODING',
      notBase64Pem: 'ENCODING',
      truncated: 'NOT_PKCS10',
      smallExponent: 'KEY',
      shortKey: 'KEY',
      algorithmNotFittingKey: 'SIGNATURE_ALGORITHM',
      tamperedSignature: 'PROOF_OF_POSSESSION',
      otherSubject: 'SUBJECT',
    });
  });
});
