// Packaging the service offline (`serverless package`) into a folder of its own, one packaging at a time per checkout,
// and reading a function's bundle out of its zip: the template tests, the bundle test and `npm run bench -- cold`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { projectRoot as root, serverlessCli } from './aws-services';

const run = promisify(execFile);

/**
 * serverless-esbuild copies every packaging's zips through the checkout's .serverless folder, so two packagings at
 * once (two jest workers, or a bench beside the tests) could read each other's half-written zips. A lock directory
 * makes them take turns; one left behind by a process that died is taken over.
 */
const LOCK_DIR = path.join(root, '.cache', 'packaging.lock');
const LOCK_WAIT_MS = 10 * 60_000;

function lockHolderAlive(): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists (another user's); anything else (no pid file yet, ESRCH) counts as gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withPackagingLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  fs.mkdirSync(path.dirname(LOCK_DIR), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock without a pid file may be one being taken right now: only an old one counts as left behind.
      const lock = fs.statSync(LOCK_DIR, { throwIfNoEntry: false });
      if (!lock) continue;
      if (!lockHolderAlive() && Date.now() - lock.mtimeMs > 5_000) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another packaging holds ${LOCK_DIR} for more than ${LOCK_WAIT_MS / 60_000} minutes`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

export interface PackageOptions {
  stage: string;
  /** `--param=...` arguments. */
  params?: string[];
  /** The process environment of serverless (ESBUILD_WORK_FOLDER is set here). */
  env?: NodeJS.ProcessEnv;
}

/** Packages the service into a new temporary folder (removed by the caller) and returns it. */
export async function packageService({ stage, params = [], env = process.env }: PackageOptions): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairing-package-'));
  // Its own esbuild folder, so that a `npm start` running beside keeps its build.
  const workFolder = path.join('.cache', `esbuild-${path.basename(dir)}`);
  try {
    await withPackagingLock(() =>
      run(process.execPath, [serverlessCli, 'package', '--stage', stage, ...params, '--package', dir], {
        cwd: root,
        env: { ...env, ESBUILD_WORK_FOLDER: workFolder },
        maxBuffer: 32 << 20,
      }),
    );
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    throw new Error(`serverless package --stage ${stage} ${params.join(' ')} failed:\n${output.split('\n').slice(-30).join('\n')}`);
  } finally {
    fs.rmSync(path.join(root, workFolder), { recursive: true, force: true });
  }
  return dir;
}

/** A function's bundle as Lambda gets it: its zip extracted into `into`; returns the handler file and the JavaScript bytes. */
export async function extractBundle(packageDir: string, fn: string, into: string): Promise<{ handlerFile: string; zipBytes: number; javaScriptBytes: number }> {
  const zipFile = path.join(packageDir, `${fn}.zip`);
  const zipData = fs.readFileSync(zipFile);
  const zip = await JSZip.loadAsync(zipData);
  let javaScriptBytes = 0;
  for (const entry of Object.values(zip.files)) {
    const target = path.resolve(into, entry.name);
    // Entry names come from our own packaging, but a name leaving the folder is never written.
    if (!target.startsWith(path.resolve(into) + path.sep)) throw new Error(`${zipFile}: entry ${entry.name} leaves the folder`);
    if (entry.dir) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const content = await entry.async('nodebuffer');
    if (/\.(c|m)?js$/.test(entry.name)) javaScriptBytes += content.length;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  const handlerFile = path.join(into, 'functions', fn, 'handler.js');
  if (!fs.existsSync(handlerFile)) throw new Error(`${zipFile} holds no functions/${fn}/handler.js`);
  return { handlerFile, zipBytes: zipData.length, javaScriptBytes };
}
