// Commands an end-to-end test runs beside its `npm start` stack: openssl in the test's work folder, any command from the
// project root against the stack's state dir (the admin CLI, curl), fresh file names, and an openssl key and CSR.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { opensslSubject } from './clients';
import type { LocalStack } from './local-stack';

const root = path.resolve(__dirname, '../..');

export const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
export const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** The commands of a test whose stack and work folder are made in its beforeAll (hence read through `current`). */
export function stackShell(current: () => { stack: LocalStack; work: string }) {
  let fileCount = 0;
  const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: current().work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const scratch = (suffix: string) => path.join(current().work, `f${++fileCount}${suffix}`);
  const run = (command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(command, args, { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: current().stack.stateDir }, encoding: 'utf8', timeout: 90_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  /** A new RSA-2048 key and a CSR for `subject` (the Connector's "O=…,CN=…" form). */
  const newCsr = (subject: string): { keyFile: string; csrPem: string } => {
    const keyFile = scratch('.key');
    const csrFile = scratch('.csr');
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', opensslSubject(subject), '-out', csrFile);
    return { keyFile, csrPem: fs.readFileSync(csrFile, 'utf8') };
  };
  return { openssl, scratch, run, newCsr };
}
