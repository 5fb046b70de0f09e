// The Application's key (made with Node's crypto, never sent anywhere) and its PKCS#10 CSR with the announced subject.
import { createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import forge from 'node-forge';
import { BadInputError } from './errors';

/** Key types the Connector accepts ("rsa2048" announced; RSA up to 4096 bits and EC P-256 also accepted). */
export const KEY_TYPES = ['rsa2048', 'rsa3072', 'rsa4096', 'ec-p256'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export function keyType(value: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(value)) return value as KeyType;
  throw new BadInputError(`--key-type ${value}: use one of ${KEY_TYPES.join(', ')}`);
}

export function generateKey(type: KeyType): KeyObject {
  if (type === 'ec-p256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('rsa', { modulusLength: Number(type.slice(3)), publicExponent: 65537 }).privateKey;
}

const ATTRIBUTE_OIDS: Record<string, string> = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };

/** "O=Pairing Service,OU=…,CN=<id>" (RFC 4514, as the Connector announces it) into its attributes, in order. */
export function parseSubject(subject: string): Array<{ type: string; value: string }> {
  return subject.split(/(?<!\\),/).map((part) => {
    const at = part.indexOf('=');
    const type = part.slice(0, at).trim().toUpperCase();
    if (at <= 0 || ATTRIBUTE_OIDS[type] === undefined) throw new Error(`the announced subject has an attribute this agent cannot write: "${part}"`);
    const value = part.slice(at + 1).replace(/\\([0-9a-fA-F]{2}|.)/g, (_, escaped: string) => (escaped.length === 2 ? String.fromCharCode(parseInt(escaped, 16)) : escaped));
    return { type, value };
  });
}

const { asn1 } = forge;
const der = (node: forge.asn1.Asn1) => asn1.toDer(node).getBytes();
const oid = (dotted: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const sequence = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);

function name(subject: string): forge.asn1.Asn1 {
  return sequence(
    parseSubject(subject).map(({ type, value }) =>
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
        sequence([oid(ATTRIBUTE_OIDS[type]!), asn1.create(asn1.Class.UNIVERSAL, type === 'C' ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8, false, forge.util.encodeUtf8(value))]),
      ]),
    ),
  );
}

/** A PEM CSR for `key` with exactly `subject`, self-signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA). */
export function createCsr(key: KeyObject, subject: string): string {
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  const spkiDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const info = sequence([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(0)),
    name(subject),
    asn1.fromDer(forge.util.createBuffer(spkiDer.toString('binary'))),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  ]);
  const infoDer = Buffer.from(der(info), 'binary');
  const algorithm =
    key.asymmetricKeyType === 'ec' ? sequence([oid('1.2.840.10045.4.3.2')]) : sequence([oid('1.2.840.113549.1.1.11'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]);
  const signature = sign('sha256', infoDer, key);
  const request = sequence([info, algorithm, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary'))]);
  const body = Buffer.from(der(request), 'binary').toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE REQUEST-----\n`;
}

