// PairedHttpsAgent against a real TLS server that asks for client certificates: it presents whatever `live` points at,
// and a connection of the previous certificate (idle, or busy while `live` moved) is never used again.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { PairedHttpsAgent } from '../../agent/src/https-agent';
import { installGeneration, writeState } from '../../agent/src/store';

let work: string;
let dir: string;
let server: https.Server;
let url: string;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
const read = (name: string) => fs.readFileSync(path.join(work, name), 'utf8');

/** A client certificate CN=c<serial> from the test CA, installed as the live generation of `dir`. */
function installCertificate(serial: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `c${serial}.key`, '-out', `c${serial}.csr`, '-subj', `/CN=c${serial}`);
  openssl('x509', '-req', '-in', `c${serial}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '1', '-out', `c${serial}.pem`);
  const now = new Date().toISOString();
  installGeneration(dir, { keyPem: read(`c${serial}.key`), certPem: read(`c${serial}.pem`), caPem: read('ca.pem') }, { serial, caId: 'ca-1', obtainedAt: now, notBefore: now, notAfter: now });
}

function get(agent: PairedHttpsAgent, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(`${url}${pathname}`, { agent }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'paired-https-agent-'));
  dir = path.join(work, 'app');
  fs.mkdirSync(dir);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=test CA', '-days', '1');
  fs.writeFileSync(path.join(work, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '99', '-days', '1', '-extfile', 'ext', '-out', 'server.pem');
  fs.copyFileSync(path.join(work, 'ca.pem'), path.join(dir, 'server-ca.pem'));
  writeState(dir, {
    version: 1,
    kind: 'client-certificate',
    systemAuthId: 'app',
    subject: 'CN=app',
    keyType: 'rsa2048',
    certificateSecuredConnectorUrl: 'https://127.0.0.1/connector/graphql',
    directorUrl: 'https://127.0.0.1/director/graphql',
    serverCaFile: 'server-ca.pem',
    pairedAt: new Date().toISOString(),
  });
  // Answers with the CN of the client certificate of the connection; /slow after 400 ms.
  server = https.createServer({ key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (request, response) => {
    const cn = String((request.socket as TLSSocket).getPeerX509Certificate()?.subject).replace('CN=', '');
    setTimeout(() => response.end(cn), request.url === '/slow' ? 400 : 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});

it('presents the live certificate, and the renewed one from the next request on, also after a request that was in flight during the renewal', async () => {
  installCertificate('11');
  const agent = new PairedHttpsAgent(dir);
  try {
    expect([await get(agent, '/'), await get(agent, '/')]).toEqual(['c11', 'c11']);
    installCertificate('12');
    expect(await get(agent, '/')).toBe('c12');

    const inFlight = get(agent, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 100));
    installCertificate('13');
    expect(await inFlight).toBe('c12');
    expect([await get(agent, '/'), await get(agent, '/')]).toEqual(['c13', 'c13']);
  } finally {
    agent.destroy();
  }
});
