// The browser for Cockpit's tests: `CHROMIUM_PATH` when set, else the Chromium that ships inside the
// @sparticuz/chromium npm package (brotli-compressed in node_modules, unpacked on first use into
// .cache/chromium-<version>/ of this checkout; nothing is downloaded), so `npm ci && npm test` needs no system browser.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import chromiumPackage from '@sparticuz/chromium';

export interface BrowserExecutable {
  executablePath: string;
  /** Environment for the browser process: the packaged fonts when the packaged browser is used. */
  env: NodeJS.ProcessEnv;
}

/** Where this checkout unpacks the packaged browser: its own folder per version, not the shared /tmp/chromium. */
const PROJECT_ROOT = path.join(__dirname, '..', '..');
const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string };
const UNPACKED = path.join(PROJECT_ROOT, '.cache', `chromium-${version}`);

/**
 * Resolves the browser to launch. The package unpacks into os.tmpdir() (the browser, its fonts and a
 * fonts.conf), so TMPDIR points at a folder of this checkout while it does: test runs of two checkouts
 * never unpack into each other's binary, and a stale /tmp/chromium of another version is never run.
 * Pointing fontconfig at the unpacked fonts makes the rendering the same on a machine without system fonts.
 */
export async function browserExecutable(): Promise<BrowserExecutable> {
  const override = process.env.CHROMIUM_PATH;
  if (override) return { executablePath: override, env: { ...process.env } };
  mkdirSync(UNPACKED, { recursive: true });
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = UNPACKED;
  try {
    const executablePath = await chromiumPackage.executablePath();
    return { executablePath, env: { ...process.env, TMPDIR: previous ?? '/tmp', FONTCONFIG_PATH: path.join(UNPACKED, 'fonts') } };
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}
