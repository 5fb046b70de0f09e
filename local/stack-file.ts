// The files `npm start` leaves for people and tools: .local/admin.json (the default tenant's administrator)
// and .local/stack.json (where the running stack's endpoints are; no secrets), in LOCAL_STATE_DIR.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './aws-services';
import { LocalStackError, processAlive } from './processes';

/** The administrator client `npm start` creates, as .local/admin.json holds it. */
export interface AdminFile {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  directorUrl: string;
  tenant: string;
}

/** Where the running local stack is, for the admin CLI and scripts. */
export interface StackFile {
  pid: number;
  startedAt: string;
  stage: string;
  region: string;
  /** How the stack keeps client secrets (CLIENT_SECRET_STORE when it started): the admin CLI keeps them the same way. */
  clientSecretStore?: 'secrets-manager' | 'verifier';
  ports: Record<string, number>;
  endpoints: {
    publicBaseUrl: string;
    mtlsBaseUrl: string;
    tokenUrl: string;
    directorUrl: string;
    dynamodb: string;
    secretsManager: string;
    /** moto's KMS (the same process as Secrets Manager): the CA and token-signing keys. */
    kms: string;
    lambda: string;
  };
  tables: Record<string, string>;
}

/** LOCAL_STATE_DIR (default `.local`), relative to the checkout unless absolute; tests point it at a temp dir. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(projectRoot, env.LOCAL_STATE_DIR || '.local');
}

const adminPath = (dir: string) => path.join(dir, 'admin.json');
const stackPath = (dir: string) => path.join(dir, 'stack.json');

// Written to a temporary name and renamed, so a reader never sees half a file.
function writeAtomically(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, content, { mode });
  fs.chmodSync(partial, mode);
  fs.renameSync(partial, file);
}

/** <state dir>/truststore.pem: the CA certificates the local mTLS endpoint trusts (public; `openssl verify -CAfile`). */
export const truststorePath = (dir: string): string => path.join(dir, 'truststore.pem');

/** Writes truststore.pem (public certificates only). */
export function writeTruststoreFile(dir: string, pem: string): string {
  const file = truststorePath(dir);
  writeAtomically(file, pem, 0o644);
  return file;
}

/** Writes admin.json readable by the owner only: it holds a client secret. */
export function writeAdminFile(dir: string, admin: AdminFile): string {
  const file = adminPath(dir);
  writeAtomically(file, `${JSON.stringify(admin, null, 2)}\n`, 0o600);
  return file;
}

export function writeStackFile(dir: string, stack: StackFile): string {
  const file = stackPath(dir);
  writeAtomically(file, `${JSON.stringify(stack, null, 2)}\n`, 0o644);
  return file;
}

/**
 * Removes stack.json and admin.json if they are this process's stack's (a second stack that failed to
 * start must not remove the first's): the administrator they name lived in the stopped stack's memory only.
 */
export function removeStackFiles(dir: string, pid = process.pid): void {
  const file = stackPath(dir);
  try {
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StackFile>;
    if (current.pid !== pid) return;
  } catch {
    // no file, or not ours to judge: leave both
    return;
  }
  fs.rmSync(adminPath(dir), { force: true });
  fs.rmSync(file, { force: true });
}

/** The running stack's stack.json; a LocalStackError when no stack is running. */
export function readRunningStack(dir: string): StackFile {
  const file = stackPath(dir);
  let stack: StackFile;
  try {
    stack = JSON.parse(fs.readFileSync(file, 'utf8')) as StackFile;
  } catch {
    throw new LocalStackError(`the local stack is not running (no ${path.relative(process.cwd(), file) || file}): start it with npm start`);
  }
  if (typeof stack.pid !== 'number' || !processAlive(stack.pid)) {
    throw new LocalStackError(`the local stack is not running (${file} is left over from process ${stack.pid}): start it with npm start`);
  }
  return stack;
}
