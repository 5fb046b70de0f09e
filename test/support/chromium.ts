// The browser for Cockpit's tests: `CHROMIUM_PATH` when set, else the Chromium that ships inside the
// @sparticuz/chromium npm package (brotli-compressed in node_modules, unpacked to the OS temp folder on
// first use; nothing is downloaded), so `npm ci && npm test` needs no system browser.
import os from 'node:os';
import path from 'node:path';
import chromiumPackage from '@sparticuz/chromium';

export interface BrowserExecutable {
  executablePath: string;
  /** Environment for the browser process: the packaged fonts when the packaged browser is used. */
  env: NodeJS.ProcessEnv;
}

/**
 * Resolves the browser to launch. The packaged build has no fonts of its own beyond what it unpacks
 * beside itself (`<tmp>/fonts`, with a fonts.conf): pointing fontconfig there makes the rendering the
 * same on a machine without any system fonts.
 */
export async function browserExecutable(): Promise<BrowserExecutable> {
  const override = process.env.CHROMIUM_PATH;
  if (override) return { executablePath: override, env: { ...process.env } };
  const executablePath = await chromiumPackage.executablePath();
  return { executablePath, env: { ...process.env, FONTCONFIG_PATH: path.join(os.tmpdir(), 'fonts') } };
}
