// The agent's CSR, checked by openssl: the announced subject in its order (RFC 4514 escapes undone), a valid self-signature, RSA and EC.
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { createCsr, generateKey, keyType, parseSubject } from '../../agent/src/csr';

const SUBJECT = 'O=Pairing Service,OU=Applications,L=Berlin,ST=Berlin,C=DE,CN=7a0f599c-9cb3-46c0-958d-8bd139b7bf9c';

function openssl(csr: string, ...args: string[]): string {
  return execFileSync('openssl', ['req', '-noout', '-nameopt', 'RFC2253', ...args], { input: csr, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('createCsr', () => {
  it.each(['rsa2048', 'ec-p256'] as const)('makes a %s CSR that openssl verifies, with the announced subject and the key', (type) => {
    const key = generateKey(type);
    const csr = createCsr(key, SUBJECT);
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/);
    expect(execFileSync('openssl', ['req', '-noout', '-verify'], { input: csr, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })).toBe('');
    // RFC 2253 prints the RDNs last first.
    expect(openssl(csr, '-subject').trim()).toBe(`subject=${SUBJECT.split(',').reverse().join(',')}`);
    const publicKeyPem = execFileSync('openssl', ['req', '-noout', '-pubkey'], { input: csr, encoding: 'utf8' });
    expect(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  });

  it('undoes RFC 4514 escapes in the announced subject', () => {
    expect(parseSubject('O=Acme\\, Inc.,CN=a\\2Bb')).toEqual([
      { type: 'O', value: 'Acme, Inc.' },
      { type: 'CN', value: 'a+b' },
    ]);
    expect(() => parseSubject('O=x,EMAIL=a@b')).toThrow('cannot write: "EMAIL=a@b"');
  });

  it('refuses a --key-type the service does not take', () => {
    expect(() => keyType('rsa1024')).toThrow('--key-type rsa1024: use one of rsa2048, rsa3072, rsa4096, ec-p256');
  });
});
