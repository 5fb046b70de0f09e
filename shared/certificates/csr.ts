// Validation of an untrusted PKCS#10 certificate signing request: encoding, structure, key, proof of possession, exact subject.
import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto';
import { BadUserInputError } from '../errors';
import type { CsrRule } from '../audit/types';
import { children, decodeDer, encodeDer, isContext, isUniversal, oidOf, primitiveBytes, Type, type Asn1 } from './der';
import { rsaKeyWeakness } from './rsa-key-strength';
import { describeSubjectMismatch, formatSubject, subjectRdn, type CertificateSubject, type SubjectRdn } from './subject';

/** Longest accepted input, in characters, checked before any decoding (an RSA-4096 CSR is about 2.3k as base64 of PEM). */
export const MAX_CSR_INPUT_LENGTH = 16 * 1024;

export type CsrKey = { readonly type: 'RSA'; readonly bits: number } | { readonly type: 'EC'; readonly curve: 'P-256' };

export interface ValidatedCsr {
  /** DER of the CSR's SubjectPublicKeyInfo: the public key to certify. */
  readonly subjectPublicKeyInfoDer: Buffer;
  /** DER of the subject Name exactly as the CSR encodes it (it equals the announced subject). */
  readonly subjectDer: Buffer;
  readonly subject: CertificateSubject;
  readonly key: CsrKey;
  /** "RSA 2048 bits", "EC P-256". */
  readonly keyDescription: string;
  /** e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA256". */
  readonly signatureAlgorithm: string;
  /** Hex SHA-256 of the CSR DER: the same CSR sent again has the same hash (idempotent retries). */
  readonly csrSha256: string;
}

/** A CSR that broke a rule: BAD_USER_INPUT to the client, whose message says what is wrong; the rule is its code. */
export class CsrRefusedError extends BadUserInputError {
  override readonly name: string = 'CsrRefusedError';

  constructor(
    readonly rule: CsrRule,
    message: string,
  ) {
    super(message);
  }
}

/** Every rejection is a CsrRefusedError whose message starts with what failed. */
function reject(rule: CsrRule, what: string): never {
  throw new CsrRefusedError(rule, `Invalid CSR: ${what}`);
}

const NOT_PKCS10 = 'not a PKCS#10 certificate signing request';

// ---- encoding: base64 of PEM, or PEM ----

const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]{1,40})-----([A-Za-z0-9+/=\s]*)-----END ([A-Z0-9 ]{1,40})-----$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

function strictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

function pemToDer(pem: string): Buffer {
  const match = PEM_BLOCK.exec(pem);
  if (!match) reject('ENCODING', 'the PEM text is not a single well-formed "CERTIFICATE REQUEST" block');
  const [, label, body, endLabel] = match as unknown as [string, string, string, string];
  if (label !== endLabel) reject('ENCODING', `the PEM block begins with "${label}" but ends with "${endLabel}"`);
  if (!CSR_LABELS.has(label)) reject('NOT_PKCS10', `${NOT_PKCS10} (the PEM block is a "${label}", expected "CERTIFICATE REQUEST")`);
  const der = strictBase64(body);
  if (!der) reject('ENCODING', 'the PEM body is not valid base64');
  return der;
}

/** The CSR DER from "base64 of PEM" or plain PEM text. */
function csrDer(input: string): Buffer {
  const text = input.trim();
  if (text.startsWith('-----BEGIN')) return pemToDer(text);
  const decoded = strictBase64(text);
  if (!decoded) reject('ENCODING', 'the input must be base64 of a PEM certificate signing request (or the PEM itself)');
  const pem = decoded.toString('latin1').trim();
  if (!pem.startsWith('-----BEGIN')) reject('ENCODING', 'the base64 input does not decode to PEM text (a "BEGIN CERTIFICATE REQUEST" block)');
  return pemToDer(pem);
}

// ---- structure ----

interface CsrParts {
  infoDer: Buffer;
  name: Asn1;
  subjectPublicKeyInfoDer: Buffer;
  signatureAlgorithm: Asn1;
  signature: Buffer;
}

function structure(der: Buffer): CsrParts {
  let root: Asn1;
  try {
    root = decodeDer(der);
  } catch {
    reject('NOT_PKCS10', `${NOT_PKCS10} (malformed or truncated DER)`);
  }
  const notCsr = (why: string): never => reject('NOT_PKCS10', `${NOT_PKCS10} (${why})`);
  if (!isUniversal(root, Type.SEQUENCE)) notCsr('the outer element is not a SEQUENCE');
  const top = children(root);
  const [info, algorithm, signature] = top;
  if (top.length !== 3 || !isUniversal(info, Type.SEQUENCE) || !isUniversal(algorithm, Type.SEQUENCE) || !isUniversal(signature, Type.BITSTRING)) {
    notCsr('expected request info, signature algorithm and signature');
  }
  const fields = children(info);
  const [version, name, spki, attributes] = fields;
  if (isContext(version, 0) && version.constructed) notCsr('this is an X.509 certificate');
  if (!isUniversal(version, Type.INTEGER) || primitiveBytes(version).toString('hex') !== '00') notCsr('version must be 0');
  if (!isUniversal(name, Type.SEQUENCE)) notCsr('the subject is not a Name');
  if (!isUniversal(spki, Type.SEQUENCE)) notCsr('no subject public key info');
  // PKCS#10 makes the [0] attributes mandatory, but some encoders drop an empty set; their content (e.g. requested extensions) is ignored.
  if (fields.length > 4 || (attributes !== undefined && !(isContext(attributes, 0) && attributes.constructed))) {
    notCsr('unexpected fields in the request info');
  }
  const signatureBits = primitiveBytes(signature);
  if (signatureBits.length < 2 || signatureBits[0] !== 0) notCsr('malformed signature BIT STRING');
  return {
    infoDer: encodeDer(info),
    name,
    subjectPublicKeyInfoDer: encodeDer(spki),
    signatureAlgorithm: algorithm,
    signature: signatureBits.subarray(1),
  };
}

// ---- subject ----

function attributeValue(node: Asn1, name: string): string {
  const bytes = primitiveBytes(node);
  const { value } = node;
  const ascii = () => {
    if (!/^[\x20-\x7e]*$/.test(bytes.toString('latin1'))) reject('SUBJECT', `subject attribute ${name} has characters its string type does not allow`);
    return bytes.toString('latin1');
  };
  if (isUniversal(node, Type.PRINTABLESTRING) || isUniversal(node, Type.IA5STRING)) return ascii();
  if (isUniversal(node, Type.UTF8)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      reject('SUBJECT', `subject attribute ${name} is not valid UTF-8`);
    }
  }
  // forge has already decoded BMPString (UTF-16BE) into a JS string.
  if (isUniversal(node, Type.BMPSTRING) && typeof value === 'string') return value;
  return reject('SUBJECT', `subject attribute ${name} must be a PrintableString, UTF8String, IA5String or BMPString`);
}

function subjectOf(name: Asn1): CertificateSubject {
  const rdns: SubjectRdn[] = [];
  for (const [index, rdn] of children(name).entries()) {
    if (!isUniversal(rdn, Type.SET)) reject('NOT_PKCS10', `${NOT_PKCS10} (subject RDN ${index + 1} is not a SET)`);
    const attributes = children(rdn);
    if (attributes.length !== 1) reject('SUBJECT', `subject RDN ${index + 1} holds ${attributes.length} attributes; each RDN must hold exactly one`);
    const attribute = attributes[0]!;
    const [type, value] = isUniversal(attribute, Type.SEQUENCE) ? children(attribute) : [];
    if (!type || !value || children(attribute).length !== 2 || !isUniversal(type, Type.OID)) {
      reject('NOT_PKCS10', `${NOT_PKCS10} (subject RDN ${index + 1} is not an attribute type and value)`);
    }
    const oid = oidOf(type);
    rdns.push(subjectRdn(oid, attributeValue(value, subjectRdn(oid, '').name)));
  }
  return rdns;
}

// ---- key ----

const KEY_TYPE_NAMES: Readonly<Record<string, string>> = { ed25519: 'Ed25519', ed448: 'Ed448', dsa: 'DSA', dh: 'DH', x25519: 'X25519', x448: 'X448' };

function publicKey(spkiDer: Buffer): { key: KeyObject; csrKey?: CsrKey; description: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch {
    reject('NOT_PKCS10', `${NOT_PKCS10} (its public key cannot be read)`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      const description = `RSA ${bits} bits`;
      return bits >= 2048 && bits <= 4096 ? { key, csrKey: { type: 'RSA', bits }, description } : { key, description };
    }
    case 'ec': {
      const curve = details.namedCurve ?? 'with explicit parameters';
      return curve === 'prime256v1' ? { key, csrKey: { type: 'EC', curve: 'P-256' }, description: 'EC P-256' } : { key, description: `EC ${curve}` };
    }
    case 'rsa-pss':
      return { key, description: `RSA-PSS-only key of ${details.modulusLength ?? 0} bits` };
    default:
      return { key, description: KEY_TYPE_NAMES[key.asymmetricKeyType ?? ''] ?? `a ${key.asymmetricKeyType ?? 'unknown'} key` };
  }
}

// ---- signature algorithm ----

interface SignatureCheck {
  name: string;
  family: 'RSA' | 'EC';
  hash: 'sha256' | 'sha384' | 'sha512';
  /** RSA-PSS salt length; undefined for PKCS#1 v1.5 and ECDSA. */
  pssSaltLength?: number;
}

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureCheck> = new Map([
  ['1.2.840.113549.1.1.11', { name: 'sha256WithRSAEncryption', family: 'RSA', hash: 'sha256' }],
  ['1.2.840.113549.1.1.12', { name: 'sha384WithRSAEncryption', family: 'RSA', hash: 'sha384' }],
  ['1.2.840.113549.1.1.13', { name: 'sha512WithRSAEncryption', family: 'RSA', hash: 'sha512' }],
  ['1.2.840.10045.4.3.2', { name: 'ecdsa-with-SHA256', family: 'EC', hash: 'sha256' }],
  ['1.2.840.10045.4.3.3', { name: 'ecdsa-with-SHA384', family: 'EC', hash: 'sha384' }],
  ['1.2.840.10045.4.3.4', { name: 'ecdsa-with-SHA512', family: 'EC', hash: 'sha512' }],
]);
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const HASHES: ReadonlyMap<string, SignatureCheck['hash']> = new Map([
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);
const SUPPORTED_ALGORITHMS = 'SHA-256/384/512 with RSA (PKCS#1 v1.5 or PSS) or ECDSA';

function hashOf(algorithmIdentifier: Asn1 | undefined): SignatureCheck['hash'] | undefined {
  if (!isUniversal(algorithmIdentifier, Type.SEQUENCE)) return undefined;
  const [id, parameters, ...rest] = children(algorithmIdentifier);
  if (!id || rest.length > 0 || (parameters && !isUniversal(parameters, Type.NULL))) return undefined;
  return HASHES.get(oidOf(id));
}

/** RSASSA-PSS-params (RFC 4055): the hash must be SHA-2 and MGF1 must use the same hash, as node:crypto does. */
function pssCheck(parameters: Asn1 | undefined): SignatureCheck {
  const unsupported = (why: string): never => reject('SIGNATURE_ALGORITHM', `unsupported signature algorithm RSASSA-PSS (${why}); use ${SUPPORTED_ALGORITHMS}`);
  if (!isUniversal(parameters, Type.SEQUENCE)) return unsupported('parameters missing');
  let hash: SignatureCheck['hash'] | undefined;
  let mgfHash: SignatureCheck['hash'] | undefined;
  let saltLength = 20;
  for (const field of children(parameters)) {
    const [inner] = field.constructed ? children(field) : [];
    if (isContext(field, 0)) hash = hashOf(inner);
    else if (isContext(field, 1)) {
      const [mgf, mgfParameters] = isUniversal(inner, Type.SEQUENCE) ? children(inner) : [];
      if (mgf && oidOf(mgf) === MGF1) mgfHash = hashOf(mgfParameters);
      else unsupported('mask generation must be MGF1');
    } else if (isContext(field, 2) && isUniversal(inner, Type.INTEGER)) {
      const salt = primitiveBytes(inner);
      if (salt.length > 2 || (salt[0]! & 0x80) !== 0) unsupported('salt length out of range');
      saltLength = salt.readUIntBE(0, salt.length);
    } else if (isContext(field, 3) && isUniversal(inner, Type.INTEGER)) {
      if (primitiveBytes(inner).toString('hex') !== '01') unsupported('trailer field must be 1');
    } else unsupported('malformed parameters');
  }
  if (!hash) return unsupported('the hash must be SHA-256, SHA-384 or SHA-512');
  if (mgfHash !== hash) return unsupported('MGF1 must use the signature hash');
  return { name: `RSASSA-PSS with ${hash.toUpperCase()}`, family: 'RSA', hash, pssSaltLength: saltLength };
}

function signatureCheck(algorithm: Asn1): SignatureCheck {
  const [id, parameters, ...rest] = children(algorithm);
  if (!isUniversal(id, Type.OID) || rest.length > 0) reject('NOT_PKCS10', `${NOT_PKCS10} (malformed signature algorithm)`);
  const algorithmOid = oidOf(id);
  if (algorithmOid === RSASSA_PSS) return pssCheck(parameters);
  const check = SIGNATURE_ALGORITHMS.get(algorithmOid);
  if (!check) reject('SIGNATURE_ALGORITHM', `unsupported signature algorithm ${algorithmOid}; use ${SUPPORTED_ALGORITHMS}`);
  // RFC 4055 writes NULL parameters for RSA, RFC 5758 none for ECDSA.
  const parametersOk = check.family === 'RSA' ? !parameters || isUniversal(parameters, Type.NULL) : !parameters;
  if (!parametersOk) reject('NOT_PKCS10', `${NOT_PKCS10} (unexpected parameters for ${check.name})`);
  return check;
}

function signatureVerifies(parts: CsrParts, check: SignatureCheck, key: KeyObject): boolean {
  const verifyKey: VerifyKeyObjectInput | VerifyPublicKeyInput =
    check.pssSaltLength === undefined ? { key } : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: check.pssSaltLength };
  try {
    return verify(check.hash, parts.infoDer, verifyKey, parts.signature);
  } catch {
    // node:crypto throws rather than returning false for some malformed signatures (e.g. a bad ECDSA DER).
    return false;
  }
}

// ---- the rules, in order ----

/** Runs a step of the walk, turning whatever a forge helper throws on crafted input (OID decoding, a constructed value where a primitive was expected) into the structure rule. */
function malformedAsInputError<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof BadUserInputError) throw error;
    return reject('NOT_PKCS10', `${NOT_PKCS10} (malformed structure)`);
  }
}

/**
 * Checks a CSR the way the Connector's contract states (API.md section 5), plus the RSA key rules of the Baseline
 * Requirements, and returns what issuance needs.
 * Never throws anything but CsrRefusedError (a BadUserInputError) for bad input; sizes are bounded before any parsing.
 */
export function validateCsr(input: string, expected: CertificateSubject): ValidatedCsr {
  if (typeof input !== 'string' || input.trim().length === 0) reject('ENCODING', 'the CSR is empty');
  if (input.length > MAX_CSR_INPUT_LENGTH) reject('ENCODING', `the CSR is longer than ${MAX_CSR_INPUT_LENGTH} characters`);
  const der = csrDer(input);
  const parts = malformedAsInputError(() => structure(der));
  const subject = malformedAsInputError(() => subjectOf(parts.name));
  const { key, csrKey, description } = publicKey(parts.subjectPublicKeyInfoDer);
  if (!csrKey) reject('KEY', `the key must be RSA of 2048 to 4096 bits or EC P-256, got ${description}`);
  const weakness = csrKey.type === 'RSA' ? rsaKeyWeakness(key) : undefined;
  if (weakness) reject('KEY', weakness);
  const check = malformedAsInputError(() => signatureCheck(parts.signatureAlgorithm));
  if (check.family !== csrKey.type) reject('SIGNATURE_ALGORITHM', `the signature algorithm ${check.name} does not fit the ${description} key`);
  if (!signatureVerifies(parts, check, key)) reject('PROOF_OF_POSSESSION', 'the signature does not verify with the CSR\'s own public key (proof of possession failed)');

  const mismatch = describeSubjectMismatch(subject, expected);
  if (mismatch) reject('SUBJECT', `the subject must be exactly "${formatSubject(expected)}": ${mismatch}`);

  return {
    subjectPublicKeyInfoDer: parts.subjectPublicKeyInfoDer,
    subjectDer: encodeDer(parts.name),
    subject,
    key: csrKey,
    keyDescription: description,
    signatureAlgorithm: check.name,
    csrSha256: createHash('sha256').update(der).digest('hex'),
  };
}
