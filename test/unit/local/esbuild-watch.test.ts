// What `npm start` watches: serverless-esbuild rebuilds on every file event its patterns match, and serverless-offline
// then ends every function instance, busy ones too (a request in flight gets no answer until its caller's timeout).
// So only the functions' sources may match; the README walk writes keys and certificates into walk/, the suites write
// test-results/. Checked with the watcher serverless-esbuild itself uses, on a copy of the folder layout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../../..');
// The chokidar that serverless-esbuild resolves, not whichever another package brings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const chokidar = require(require.resolve('chokidar', { paths: [path.dirname(require.resolve('serverless-esbuild'))] })) as typeof import('chokidar');

interface WatchOptions {
  pattern: string | string[];
  ignore?: string | string[];
}

const asArray = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The paths (relative to `dir`) the patterns report an event for, once every path in `expected` has been reported. */
async function reportedEvents(dir: string, watch: WatchOptions, write: () => void, expected: string[]): Promise<string[]> {
  // serverless-esbuild's own defaults for what is never watched (its work and build folders, dist, node_modules).
  const ignored = ['.esbuild', 'dist', 'node_modules', '.build', ...asArray(watch.ignore)];
  const watcher = chokidar.watch(asArray(watch.pattern), { cwd: dir, ignored, ignoreInitial: true });
  const seen = new Set<string>();
  watcher.on('all', (_event, file) => seen.add(file.split(path.sep).join('/')));
  try {
    await new Promise<void>((resolve) => watcher.on('ready', () => resolve()));
    write();
    const deadline = Date.now() + 10_000;
    while (!expected.every((file) => seen.has(file)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // Events come in the order of the writes; a moment more for any that would follow the last expected one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return [...seen].sort();
  } finally {
    await watcher.close();
  }
}

describe("npm start's rebuild watch (serverless.yml custom.esbuild.watch)", () => {
  const serverless = parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' });
  const watch = serverless.custom.esbuild.watch as WatchOptions;
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esbuild-watch-'));
    for (const folder of ['functions/director', 'shared/auth', 'cockpit/web', 'walk', 'test-results', 'docs', 'local']) fs.mkdirSync(path.join(dir, folder), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{}');
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("reports the functions' sources and nothing written anywhere else in the checkout", async () => {
    const sources = ['functions/director/handler.ts', 'shared/auth/client-certificate.ts', 'cockpit/web/app.tsx', 'cockpit/web/styles.css', 'cockpit/esbuild-plugins.cjs', 'package.json'];
    const elsewhere = [
      'walk/agent-app/key.pem', // the README walk and pairing-agent
      'walk/agent-app/cert.pem',
      'walk/app.csr',
      'test-results/readme/walk-stdout.txt',
      'test-results/watch-probe/notes.ts',
      'test-results/cockpit/1-sign-in.png',
      'docs/notes.ts',
      'local/scratch.js',
      'scratch.ts',
    ];
    const write = (files: string[]) => {
      for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), String(Date.now()));
      }
    };
    const reported = await reportedEvents(dir, watch, () => {
      write(elsewhere);
      write(sources);
    }, sources);
    expect(reported).toEqual([...sources].sort());
  });
});
