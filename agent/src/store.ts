// The layout of a paired --dir: state.json (the pairing), one gen-<serial>/ folder per certificate (key, certificate,
// CA), `live` pointing at the current one, and key.pem/cert.pem/ca.pem pointing through `live`. A renewal writes a new
// folder and renames a new `live` over the old, so a reader, or a crash at any instant, sees one complete pair.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from './errors';
import { readJson, replaceSymlink, writeFileAtomic } from './files';
import type { KeyType } from './csr';
import type { TlsCredentials } from './graphql';

/** state.json of a certificate pairing: what `pair` learnt, unchanged by renewals. */
export interface CertificatePairingState {
  version: 1;
  kind: 'client-certificate';
  systemAuthId: string;
  subject: string;
  keyType: KeyType;
  /** The Connector and Director on the mTLS endpoint (managementPlaneInfo). */
  certificateSecuredConnectorUrl: string;
  directorUrl: string;
  /** File in the dir holding the mTLS endpoint's server CA, when it is not publicly trusted. */
  serverCaFile?: string;
  pairedAt: string;
}

/** state.json of a client-credentials pairing (the secret is in credentials.json, 0600). */
export interface ClientCredentialsPairingState {
  version: 1;
  kind: 'client-credentials';
  systemAuthId: string;
  clientId: string;
  tokenUrl: string;
  scopes: string[];
  pairedAt: string;
}

export type PairingState = CertificatePairingState | ClientCredentialsPairingState;

/** gen-<serial>/certificate.json: what the service said about this certificate. */
export interface GenerationInfo {
  serial: string;
  caId: string;
  /** When the agent received it: the renewal point counts from here (NotBefore is backdated by the service). */
  obtainedAt: string;
  notBefore: string;
  notAfter: string;
}

export interface Generation extends GenerationInfo {
  folder: string;
  certPem: string;
  keyPem: string;
  caPem: string;
  certificate: X509Certificate;
}

export const STATE_FILE = 'state.json';
export const CREDENTIALS_FILE = 'credentials.json';
export const SERVER_CA_FILE = 'server-ca.pem';
const LIVE = 'live';
const GENERATION_PREFIX = 'gen-';

export const serialOf = (certificate: X509Certificate) => certificate.serialNumber.toLowerCase();

export function readState(dir: string): PairingState | undefined {
  try {
    return readJson<PairingState>(path.join(dir, STATE_FILE));
  } catch {
    throw new BadInputError(`${path.join(dir, STATE_FILE)} is not a pairing state file`);
  }
}

export function readCertificateState(dir: string): CertificatePairingState {
  const state = readState(dir);
  if (state === undefined) throw new BadInputError(`--dir ${dir} holds no pairing (no ${STATE_FILE}): run pairing-agent pair first`);
  if (state.kind !== 'client-certificate') throw new BadInputError(`--dir ${dir} holds a ${state.kind} pairing, not a client certificate`);
  return state;
}

export function writeState(dir: string, state: PairingState): void {
  writeFileAtomic(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

function readGeneration(dir: string, folder: string): Generation {
  const at = (name: string) => path.join(dir, folder, name);
  const certPem = fs.readFileSync(at('cert.pem'), 'utf8');
  const info = readJson<GenerationInfo>(at('certificate.json'))!;
  return { ...info, folder, certPem, keyPem: fs.readFileSync(at('key.pem'), 'utf8'), caPem: fs.readFileSync(at('ca.pem'), 'utf8'), certificate: new X509Certificate(certPem) };
}

/** The folder `live` points at (gen-<serial>), or undefined before the first certificate. */
export function liveFolder(dir: string): string | undefined {
  try {
    return fs.readlinkSync(path.join(dir, LIVE));
  } catch {
    return undefined;
  }
}

/** The current key, certificate and CA, read from one generation folder. */
export function readLive(dir: string): Generation {
  const folder = liveFolder(dir);
  if (folder === undefined) throw new BadInputError(`--dir ${dir} holds no certificate: run pairing-agent pair first`);
  return readGeneration(dir, folder);
}

/** What TLS needs to call the mTLS endpoint with this generation. */
export function tlsCredentials(dir: string, state: CertificatePairingState, generation: Generation): TlsCredentials {
  return {
    cert: generation.certPem,
    key: generation.keyPem,
    serverCa: state.serverCaFile ? fs.readFileSync(path.join(dir, state.serverCaFile), 'utf8') : undefined,
  };
}

/**
 * Writes a new generation and makes it live: the files go into a temporary folder (key 0600), which is renamed to
 * gen-<serial> once complete, then `live` is renamed over. key.pem, cert.pem and ca.pem resolve through `live`.
 */
export function installGeneration(dir: string, files: { keyPem: string; certPem: string; caPem: string }, info: GenerationInfo): void {
  const folder = `${GENERATION_PREFIX}${info.serial}`;
  const temporary = path.join(dir, `.${folder}.${randomBytes(6).toString('hex')}.tmp`);
  fs.mkdirSync(temporary, { mode: 0o700 });
  try {
    const write = (name: string, content: string, mode: number) => {
      const fd = fs.openSync(path.join(temporary, name), 'wx', mode);
      try {
        fs.writeSync(fd, content);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    };
    write('key.pem', files.keyPem, 0o600);
    write('cert.pem', files.certPem, 0o644);
    write('ca.pem', files.caPem, 0o644);
    write('certificate.json', `${JSON.stringify(info, null, 2)}\n`, 0o644);
    fs.renameSync(temporary, path.join(dir, folder));
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  replaceSymlink(path.join(dir, LIVE), folder);
  linkTopLevelFiles(dir);
}

/** key.pem, cert.pem and ca.pem as links through `live` (created once; a renewal only moves `live`). */
export function linkTopLevelFiles(dir: string): void {
  for (const name of ['key.pem', 'cert.pem', 'ca.pem']) {
    const link = path.join(dir, name);
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current !== `${LIVE}/${name}`) replaceSymlink(link, `${LIVE}/${name}`);
  }
}

/** Generation folders other than the live one: older ones still to retire, newer ones a crash left before going live. */
export function otherGenerations(dir: string): { older: Generation[]; unused: string[] } {
  const live = liveFolder(dir);
  const liveInfo = live ? readJson<GenerationInfo>(path.join(dir, live, 'certificate.json')) : undefined;
  const older: Generation[] = [];
  const unused: string[] = [];
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith(`.${GENERATION_PREFIX}`) && entry.endsWith('.tmp')) unused.push(entry);
    if (!entry.startsWith(GENERATION_PREFIX) || entry === live) continue;
    let generation: Generation;
    try {
      generation = readGeneration(dir, entry);
    } catch {
      unused.push(entry);
      continue;
    }
    if (liveInfo && generation.obtainedAt < liveInfo.obtainedAt) older.push(generation);
    else unused.push(entry);
  }
  return { older, unused };
}

export function removeFolder(dir: string, folder: string): void {
  fs.rmSync(path.join(dir, folder), { recursive: true, force: true });
}

/** Renewal point: `fraction` of the lifetime counted from when the agent obtained the certificate. */
export function renewalPoint(generation: GenerationInfo, fraction: number): Date {
  const start = Math.max(Date.parse(generation.obtainedAt), Date.parse(generation.notBefore));
  const end = Date.parse(generation.notAfter);
  return new Date(start + (end - start) * fraction);
}

/** The issued certificate is signed by the CA certificate, carries our public key and the announced subject. */
export function verifyIssued(certPem: string, caPem: string, keyPem: string, subject: string): X509Certificate {
  let certificate: X509Certificate;
  let ca: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
    ca = new X509Certificate(caPem);
  } catch {
    throw new BadInputError('the service answered with a certificate that does not parse; nothing was written');
  }
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey)) {
    throw new BadInputError('the CA certificate the service sent does not verify the issued certificate; nothing was written');
  }
  if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) throw new BadInputError('the issued certificate does not carry this key; nothing was written');
  const expected = subject.split(/(?<!\\),/).map((part) => part.trim());
  const actual = certificate.subject.split('\n').map((part) => part.trim());
  if (expected.length !== actual.length || expected.some((part, i) => part.replace(/\\(.)/g, '$1') !== actual[i])) {
    throw new BadInputError(`the issued certificate's subject (${actual.join(',')}) is not the announced one; nothing was written`);
  }
  return certificate;
}

