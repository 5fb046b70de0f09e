// The `pairing-agent` command line: one verb per job; data on stdout (JSON), messages and the run log on stderr.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CONDITION_EXIT_CODES, DEFAULT_RENEW_AFTER, liveCertificate, pairWithOneTimeToken, renew, status, describeGeneration, type EventLog } from './certificate-pairing';
import { boundAccessToken } from './bound-token';
import { accessToken, storeClientCredentials } from './client-credentials';
import { keyType } from './csr';
import { AgentError, BadInputError, EXIT_CODES } from './errors';
import { prepareDirectory } from './files';
import { pairingFromFlags, parsePairingData, type Pairing } from './pairing-data';
import { afterRenewal, runAgent } from './run';
import { readLive, readState } from './store';

const EXIT_CODE_HELP = `Exit codes:
  0  done (status: valid and accepted)      4  the certificate has expired: pair again
  1  unexpected failure                      5  revoked: the service refuses the certificate or client: pair again
  2  bad input or usage, nothing written     6  service unreachable, or it answered 5xx/429
  3  status: renewal due`;

const HELP: Record<string, string> = {
  pair: `pairing-agent pair --dir DIR [--server-ca FILE] [--file FILE | --token TOKEN --connector-url URL] [--key-type TYPE] [--force]

Pairs this Application with the pairing data an administrator copied from Cockpit or generateAuthForApplication
(read from standard input, or --file): the JSON answer, requestOneTimeTokenForApplication's object or its rawEncoded.
A one-time token: makes a key (never sent anywhere), has its CSR signed, writes key.pem (0600), cert.pem, ca.pem and
state.json into DIR. Client credentials: stores them in DIR/credentials.json (0600); see \`pairing-agent token\`.

  --server-ca FILE   CA of the mTLS endpoint's server certificate when it is not publicly trusted (locally .local/mtls-server-ca.pem)
  --key-type TYPE    rsa2048 (announced default), rsa3072, rsa4096 or ec-p256
  --force            replace a pairing DIR already holds

Example:
  npx pairing-agent pair --dir ./my-app --server-ca .local/mtls-server-ca.pem < pairing.json`,
  renew: `pairing-agent renew --dir DIR [--force] [--renew-after FRACTION] [--retire-after SECONDS] [--exec CMD]

Renews over mTLS once the certificate has passed its renewal point (default 2/3 of its lifetime; --force: now), with a
new key; the new files replace the old by rename, then (after --retire-after, default 0 s) the previous certificate
is retired. --exec CMD runs in between, as for run.

Example:
  npx pairing-agent renew --dir ./my-app --force`,
  run: `pairing-agent run --dir DIR [--check-interval SECONDS] [--exec CMD | --signal SIG --pid-file FILE] [--retire-after SECONDS]

Stays up: renews at the renewal point (2/3 of the lifetime, up to 5% earlier at random), and at once when the service's
current CA is not the one that issued the certificate. An unreachable service, 5xx or 429: exponential backoff with
jitter (up to --max-backoff, default 300 s) while the certificate is valid. After each renewal it runs CMD (through
the shell, with PAIRING_AGENT_DIR and PAIRING_AGENT_SERIAL) or sends SIG to the process in FILE, waits --retire-after
(default 10 s) so readers of the files move over, and retires the previous certificate. One JSON line per event on
stderr. Exits 5 when the certificate is revoked, 4 when it expired; SIGTERM/SIGINT stop it (exit 0).

  --check-interval SECONDS   how often it asks the service for its current CA (default 300)

Example:
  npx pairing-agent run --dir ./my-app --exec 'systemctl reload my-app'`,
  status: `pairing-agent status --dir DIR

Prints subject, serial, CA id, notAfter, the renewal point and whether the service still accepts the certificate
(viewer over mTLS); the exit code says which (0 valid, 3 renewal due, 4 expired, 5 revoked, 6 unreachable).

Example:
  npx pairing-agent status --dir ./my-app`,
  token: `pairing-agent token --dir DIR [--mtls] [--refresh]

For a client-credentials pairing: prints {"access_token", "token_type", "expires_at", "scope"}, cached in DIR
(0600) while it has more than a minute left; --refresh gets a new one.
--mtls, for a certificate pairing: a certificate-bound token (RFC 8705) from the mTLS endpoint's token endpoint, the
live certificate authenticating (tls_client_auth); it works only together with that certificate, over mTLS. Also
cached (with "certificate_serial"), and fetched again after a renewal.

Example:
  curl -H "Authorization: Bearer $(npx pairing-agent token --dir ./my-app | jq -r .access_token)" …
  curl --cert ./my-app/cert.pem --key ./my-app/key.pem -H "Authorization: Bearer $(npx pairing-agent token --mtls --dir ./my-app | jq -r .access_token)" …`,
};

const USAGE = `pairing-agent: pair an Application with the pairing service and keep its client certificate renewed.

Usage: pairing-agent <pair|run|renew|status|token> --dir DIR [options]   (pairing-agent <verb> --help for each)

  npx pairing-agent pair --dir ./my-app --server-ca .local/mtls-server-ca.pem < pairing.json
  npx pairing-agent run --dir ./my-app

${EXIT_CODE_HELP}`;

const OPTIONS = {
  dir: { type: 'string' },
  file: { type: 'string' },
  token: { type: 'string' },
  'connector-url': { type: 'string' },
  'server-ca': { type: 'string' },
  'key-type': { type: 'string' },
  force: { type: 'boolean' },
  refresh: { type: 'boolean' },
  mtls: { type: 'boolean' },
  'renew-after': { type: 'string' },
  'retire-after': { type: 'string' },
  'check-interval': { type: 'string' },
  'max-backoff': { type: 'string' },
  exec: { type: 'string' },
  signal: { type: 'string' },
  'pid-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const ALLOWED: Record<string, string[]> = {
  pair: ['dir', 'file', 'token', 'connector-url', 'server-ca', 'key-type', 'force'],
  renew: ['dir', 'force', 'renew-after', 'retire-after', 'exec'],
  run: ['dir', 'check-interval', 'renew-after', 'retire-after', 'max-backoff', 'exec', 'signal', 'pid-file'],
  status: ['dir', 'renew-after'],
  token: ['dir', 'refresh', 'mtls'],
};

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

const print = (data: unknown) => process.stdout.write(`${JSON.stringify(data)}\n`);
const eventLog: EventLog = (event, fields = {}) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);

function number(values: Values, name: 'renew-after' | 'retire-after' | 'check-interval' | 'max-backoff', fallback: number, max = Infinity): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) throw new BadInputError(`--${name} ${raw}: expected a number from 0 to ${max}`);
  return value;
}

function renewAfter(values: Values): number {
  const value = number(values, 'renew-after', DEFAULT_RENEW_AFTER, 1);
  if (value <= 0) throw new BadInputError('--renew-after must be above 0');
  return value;
}

function readPairing(values: Values): Pairing {
  if (values.token !== undefined || values['connector-url'] !== undefined) {
    if (values.token === undefined || values['connector-url'] === undefined) throw new BadInputError('--token and --connector-url go together');
    return pairingFromFlags(values.token, values['connector-url']);
  }
  if (values.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(values.file, 'utf8');
    } catch (error) {
      throw new BadInputError(`--file ${values.file}: cannot read it (${(error as NodeJS.ErrnoException).code})`);
    }
    return parsePairingData(text);
  }
  if (process.stdin.isTTY) throw new BadInputError('no pairing data: pipe it on standard input, or use --file or --token with --connector-url');
  return parsePairingData(fs.readFileSync(0, 'utf8'));
}

function readServerCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
    new X509Certificate(pem);
  } catch {
    throw new BadInputError(`--server-ca ${file}: not a readable PEM certificate`);
  }
  return pem;
}

/** A --dir that holds a live pairing is kept unless --force: a second `pair` would otherwise orphan a working one. */
function refuseLivePairing(dir: string): void {
  const state = readState(dir);
  if (state === undefined) return;
  if (state.kind === 'client-credentials') throw new BadInputError(`--dir ${dir} already holds a client-credentials pairing: use --force to replace it`);
  try {
    const { live } = liveCertificate(dir);
    throw new BadInputError(`--dir ${dir} already holds a live pairing (certificate ${live.serial}, valid until ${live.notAfter}): use --force to replace it`);
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    // An expired or unreadable pairing may be replaced.
  }
}

async function pair(dir: string, values: Values): Promise<void> {
  const pairing = readPairing(values);
  const serverCaPem = readServerCa(values['server-ca']);
  if (values['key-type'] !== undefined) {
    if (pairing.kind !== 'one-time-token') throw new BadInputError('--key-type is for one-time tokens (client certificates)');
    keyType(values['key-type']);
  }
  const existed = fs.existsSync(dir);
  prepareDirectory(dir);
  try {
    if (!values.force) refuseLivePairing(dir);
    if (pairing.kind === 'client-credentials') print(storeClientCredentials(dir, pairing));
    else print(await pairWithOneTimeToken(pairing, { dir, serverCaPem, keyType: values['key-type'], log: eventLog }));
  } catch (error) {
    // Nothing written: a folder this command created goes again.
    if (!existed) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function execute(verb: string, values: Values): Promise<number> {
  const dir = values.dir;
  if (dir === undefined || dir.trim() === '') throw new BadInputError(`${verb}: --dir is required`);
  const absolute = path.resolve(dir);
  switch (verb) {
    case 'pair':
      await pair(absolute, values);
      return EXIT_CODES.ok;
    case 'renew': {
      const renewed = await renew(absolute, {
        force: values.force,
        renewAfter: renewAfter(values),
        retireAfterSeconds: number(values, 'retire-after', 0),
        log: eventLog,
        afterRenewal: values.exec ? (generation) => afterRenewal({ dir: absolute, exec: values.exec, log: eventLog }, generation) : undefined,
      });
      const state = readState(absolute);
      const live = readLive(absolute);
      print({ renewed: renewed !== undefined, dir: absolute, ...(state?.kind === 'client-certificate' ? describeGeneration(state, live) : {}) });
      return EXIT_CODES.ok;
    }
    case 'status': {
      const result = await status(absolute, renewAfter(values));
      print(result);
      return CONDITION_EXIT_CODES[result.condition];
    }
    case 'run': {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const signalName = values.signal?.toUpperCase().replace(/^(?!SIG)/, 'SIG') as NodeJS.Signals | undefined;
      if ((signalName === undefined) !== (values['pid-file'] === undefined)) throw new BadInputError('--signal and --pid-file go together');
      if (signalName !== undefined && !(signalName in os.constants.signals)) throw new BadInputError(`--signal ${values.signal}: not a signal name (e.g. HUP)`);
      liveCertificate(absolute);
      return runAgent({
        dir: absolute,
        checkIntervalSeconds: Math.max(1, number(values, 'check-interval', 300)),
        renewAfter: renewAfter(values),
        retireAfterSeconds: number(values, 'retire-after', 10),
        maxBackoffSeconds: Math.max(1, number(values, 'max-backoff', 300)),
        exec: values.exec,
        signalName,
        pidFile: values['pid-file'],
        log: eventLog,
        signal: controller.signal,
      });
    }
    case 'token':
      print(values.mtls ? await boundAccessToken(absolute, { refresh: values.refresh }) : await accessToken(absolute, { refresh: values.refresh }));
      return EXIT_CODES.ok;
  }
  throw new BadInputError(`unknown command "${verb}"`);
}

export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return verb === undefined ? EXIT_CODES.badInput : EXIT_CODES.ok;
  }
  try {
    if (!(verb in ALLOWED)) throw new BadInputError(`unknown command "${verb}" (pair, run, renew, status, token)`);
    let values: Values;
    try {
      values = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }).values as Values;
    } catch (error) {
      throw new BadInputError((error as Error).message);
    }
    if (values.help) {
      process.stdout.write(`${HELP[verb]}\n\n${EXIT_CODE_HELP}\n`);
      return EXIT_CODES.ok;
    }
    const misplaced = Object.keys(values).filter((name) => name !== 'help' && !ALLOWED[verb]!.includes(name));
    if (misplaced.length) throw new BadInputError(`${verb} takes no ${misplaced.map((name) => `--${name}`).join(', ')}`);
    return await execute(verb, values);
  } catch (error) {
    if (error instanceof AgentError) {
      process.stderr.write(`pairing-agent ${verb}: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`pairing-agent ${verb}: unexpected failure: ${(error as Error).message}\n`);
    return EXIT_CODES.failure;
  }
}
