// The page's pure logic: shell commands it shows survive bash quoting, countdowns read right, labels parse,
// certificates are named and counted right.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientCertificateCommands, clientCredentialsCommands, pairingAgentCommands, shellQuote } from '../../../cockpit/web/commands';
import { certificateRevocationNotice, credentialUse, formatCountdown, renewedFromName, shortFingerprint } from '../../../cockpit/web/format';
import { parseLabels } from '../../../cockpit/web/labels';

const echoed = (word: string) => execFileSync('bash', ['-c', `printf %s ${word}`], { encoding: 'utf8' });

describe('shellQuote', () => {
  it.each(["plain", "it's", "'''", '$HOME `id` "x"', 'a\nb', ''])('bash reads %j back unchanged', (value) => {
    expect(echoed(shellQuote(value))).toBe(value);
  });
});

describe('commands shown for the application side', () => {
  it('client credentials: the secret is read from the terminal, the id and token URL are quoted into a curl grant, the token goes to the Director', () => {
    const commands = clientCredentialsCommands({ clientId: "id'1", tokenUrl: 'http://127.0.0.1:3000/oauth2/token', directorUrl: 'http://127.0.0.1:3000/director/graphql' });
    expect(() => execFileSync('bash', ['-n', '-c', commands])).not.toThrow();
    expect(commands).toContain(`CLIENT_ID='id'\\''1'`);
    expect(commands).toContain("read -rsp 'Client secret: ' CLIENT_SECRET");
    expect(commands).toContain(`curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials 'http://127.0.0.1:3000/oauth2/token'`);
    // What curl is given: bash with a stand-in curl that prints its arguments (and answers a token), the secret typed on stdin.
    const run = spawnSync('bash', ['-c', `curl() { printf '%s\\n' "$@" >&2; echo '{"access_token":"at-1"}'; }\n${commands}`], { input: "s3cr'et\n", encoding: 'utf8' });
    expect(run.stderr.split('\n')).toEqual(
      expect.arrayContaining(["id'1:s3cr'et", 'http://127.0.0.1:3000/oauth2/token', 'Authorization: Bearer at-1', 'http://127.0.0.1:3000/director/graphql']),
    );
  });

  it('client certificate: bash parses the script; it uses the token and connector URL given, writes the server CA and ends with a call over mTLS', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\'x\n-----END CERTIFICATE-----';
    const commands = clientCertificateCommands({ token: 'tok_en-1', connectorURL: 'http://127.0.0.1:3000/connector/graphql', serverCa: pem });
    expect(() => execFileSync('bash', ['-n', '-c', commands])).not.toThrow();
    expect(commands).toContain("TOKEN='tok_en-1'");
    expect(commands).toContain("CONNECTOR='http://127.0.0.1:3000/connector/graphql'");
    expect(commands).toContain('openssl verify -CAfile ca.pem app.pem');
    expect(commands).toMatch(/curl -sS --cacert mtls-server-ca\.pem --cert app\.pem --key app\.key .*\n.*"\$DIRECTOR_MTLS"$/);
    // Run with stand-ins for the tools, it writes the server CA exactly.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cockpit-commands-'));
    try {
      execFileSync('bash', ['-c', `curl() { :; }; openssl() { :; }; jq() { :; }; base64() { :; }\n${commands}`], { cwd: folder });
      expect(fs.readFileSync(path.join(folder, 'mtls-server-ca.pem'), 'utf8')).toBe(`${pem}\n`);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
    // Without a server CA (a publicly trusted server certificate): no file, no --cacert.
    const publicCa = clientCertificateCommands({ token: 't', connectorURL: 'http://c' });
    expect(publicCa).not.toContain('mtls-server-ca.pem');
    expect(pairingAgentCommands({})).toBe('# pairing.json: the handoff bundle above.\nnpx pairing-agent pair --dir ./my-app < pairing.json\nnpx pairing-agent run --dir ./my-app');
    expect(pairingAgentCommands({ serverCa: pem })).toContain('npx pairing-agent pair --dir ./my-app --server-ca mtls-server-ca.pem < pairing.json');
  });
});

describe('formatCountdown', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it.each([
    [299_999, '4:59'],
    [300_000, '5:00'],
    [59_000, '0:59'],
    [3_723_000, '1:02:03'],
    [999, 'expired'],
    [0, 'expired'],
    [-5_000, 'expired'],
  ])('%i ms left reads %s', (left, shown) => {
    expect(formatCountdown(now + left, now)).toBe(shown);
  });
});

describe('parseLabels', () => {
  it('reads key=value lines, trims, skips blank lines and collects repeated keys into a list', () => {
    expect(parseLabels(' team = billing \n\nenv=prod\nenv=test\nurl=a=b')).toEqual({ labels: { team: 'billing', env: ['prod', 'test'], url: 'a=b' } });
  });

  it('returns no labels for an empty field', () => {
    expect(parseLabels(' \n ')).toEqual({});
  });

  it('names the line that is not key=value', () => {
    expect(parseLabels('team=billing\nnonsense')).toEqual({ error: 'line 2: write each label as key=value' });
    expect(parseLabels('=value')).toEqual({ error: 'line 1: write each label as key=value' });
  });

  it('keeps "__proto__" an ordinary key, for the API to refuse', () => {
    const { labels } = parseLabels('__proto__=x');
    expect(Object.keys(labels!)).toEqual(['__proto__']);
    expect(JSON.stringify(labels)).toBe('{"__proto__":"x"}');
  });
});

describe('certificates', () => {
  const first = { serialNumber: '4f1a', sha256Fingerprint: 'ab'.repeat(32) };
  const renewed = { serialNumber: '7c2b', sha256Fingerprint: 'cd'.repeat(32) };

  it('shortFingerprint reads like openssl (upper case, colons) and keeps the first six bytes', () => {
    expect(shortFingerprint('0a1b2c3d4e5f60718293a4b5c6d7e8f9')).toBe('0A:1B:2C:3D:4E:5F…');
    expect(shortFingerprint('0A:1B:2C')).toBe('0A:1B:2C');
  });

  it('renewedFromName names the origin by its serial when it is listed, else by its short fingerprint; the first one has none', () => {
    expect(renewedFromName(null, [first])).toBeNull();
    expect(renewedFromName(first.sha256Fingerprint, [first, renewed])).toEqual({ label: 'serial', value: '4f1a' });
    expect(renewedFromName(first.sha256Fingerprint.toUpperCase(), [first])).toEqual({ label: 'serial', value: '4f1a' });
    expect(renewedFromName('ef'.repeat(32), [first, renewed])).toEqual({ label: 'SHA-256', value: 'EF:EF:EF:EF:EF:EF…' });
  });

  it('certificateRevocationNotice says how many certificates were revoked, and that the credential stays', () => {
    expect(certificateRevocationNotice('4f1a', 1)).toBe('Revoked 1 certificate: 4f1a no longer works (none was renewed from it). The credential itself stays.');
    expect(certificateRevocationNotice('4f1a', 3)).toBe('Revoked 3 certificates: 4f1a and the 2 renewed from it no longer work. The credential itself stays.');
    expect(certificateRevocationNotice('4f1a', 0)).toMatch(/^No certificate was revoked/);
  });
});

describe('credentialUse', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const certificate = (revoked: boolean, notAfter: string) => ({ revoked, notAfter });

  it('judges by the certificates a credential holds, whatever its type is called; one without certificates (null) is usable while ACTIVE', () => {
    expect(credentialUse({ status: 'ACTIVE', certificates: null }, now)).toBe('usable');
    expect(credentialUse({ status: 'PENDING', certificates: null }, now)).toBe('waiting');
    expect(credentialUse({ status: 'REVOKED', certificates: null }, now)).toBe('revoked');
    expect(credentialUse({ status: 'ACTIVE', certificates: [] }, now)).toBe('waiting');
    expect(credentialUse({ status: 'ACTIVE', certificates: [certificate(true, '2027-01-01T00:00:00Z'), certificate(false, '2027-01-01T00:00:00Z')] }, now)).toBe('usable');
    expect(credentialUse({ status: 'ACTIVE', certificates: [certificate(true, '2027-01-01T00:00:00Z'), certificate(false, '2026-01-01T00:00:00Z')] }, now)).toBe('no-live-certificate');
  });
});
