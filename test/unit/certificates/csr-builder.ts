// Test support: builds PKCS#10 CSRs byte by byte, so tests can make well-formed requests with any key, subject or signature, and break them.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { announcedSubject, type CertificateSubject } from '../../../shared/certificates/subject';

const { asn1 } = forge;
const seq = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (dotted: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const parse = (der: Buffer) => asn1.fromDer(der.toString('latin1'));
const der = (node: forge.asn1.Asn1) => Buffer.from(asn1.toDer(node).getBytes(), 'latin1');

/** The subject defaults every test uses, independent of the environment. */
export const TEST_SUBJECT_DEFAULTS = {
  organization: 'Pairing Service',
  organizationalUnit: 'Applications',
  locality: 'Berlin',
  province: 'Berlin',
  country: 'DE',
};

export const expectedSubject = (systemAuthId: string): CertificateSubject => announcedSubject(systemAuthId, TEST_SUBJECT_DEFAULTS);

/** RDNs as written into the CSR: each inner array is one RDN (more than one entry makes it multi-valued). */
export type RdnSpec = Array<Array<{ oid: string; value: string; stringType?: forge.asn1.Type }>>;

export const rdnsOf = (subject: CertificateSubject): RdnSpec => subject.map((rdn) => [{ oid: rdn.oid, value: rdn.value }]);

export interface SignatureSpec {
  /** OID of the signature algorithm written into the CSR. */
  oid: string;
  /** Digest given to crypto.sign (null for Ed25519). */
  hash: string | null;
  /** Encoded AlgorithmIdentifier parameters; absent when undefined. */
  parameters?: forge.asn1.Asn1;
}

export const SHA256_WITH_RSA: SignatureSpec = {
  oid: '1.2.840.113549.1.1.11',
  hash: 'sha256',
  parameters: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
};
export const ECDSA_WITH_SHA256: SignatureSpec = { oid: '1.2.840.10045.4.3.2', hash: 'sha256' };
export const ED25519: SignatureSpec = { oid: '1.3.101.112', hash: null };

export interface CsrSpec {
  privateKey: KeyObject;
  publicKey: KeyObject;
  rdns: RdnSpec;
  signature: SignatureSpec;
}

function nameNode(rdns: RdnSpec): forge.asn1.Asn1 {
  return seq(
    ...rdns.map((rdn) =>
      asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.SET,
        true,
        rdn.map(({ oid: type, value, stringType = asn1.Type.UTF8 }) =>
          seq(oid(type), asn1.create(asn1.Class.UNIVERSAL, stringType, false, stringType === asn1.Type.UTF8 ? forge.util.encodeUtf8(value) : value)),
        ),
      ),
    ),
  );
}

/** DER of a CSR signed with its own key as described. */
export function buildCsrDer(spec: CsrSpec): Buffer {
  const info = seq(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x00'),
    nameNode(spec.rdns),
    parse(spec.publicKey.export({ type: 'spki', format: 'der' })),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  );
  const signature = sign(spec.signature.hash, der(info), spec.privateKey);
  const algorithm = seq(oid(spec.signature.oid), ...(spec.signature.parameters ? [spec.signature.parameters] : []));
  const bits = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString('latin1')}`);
  return der(seq(info, algorithm, bits));
}

export const toPem = (der: Buffer, label = 'CERTIFICATE REQUEST') =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/** What the Connector receives: base64 of the PEM text. */
export const base64Pem = (der: Buffer, label?: string) => Buffer.from(toPem(der, label)).toString('base64');

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const rsaKeyPair = (bits: number): KeyPair => generateKeyPairSync('rsa', { modulusLength: bits });
export const ecKeyPair = (namedCurve: string): KeyPair => generateKeyPairSync('ec', { namedCurve });
export const ed25519KeyPair = (): KeyPair => generateKeyPairSync('ed25519');

/** A correct CSR for the announced subject of `systemAuthId`. */
export function goodCsrDer(keys: KeyPair, systemAuthId: string, signature = SHA256_WITH_RSA): Buffer {
  return buildCsrDer({ ...keys, rdns: rdnsOf(expectedSubject(systemAuthId)), signature });
}
