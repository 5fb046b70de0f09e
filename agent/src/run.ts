// `run`: stays up, renews on schedule and early when the service's current CA is another one, backs off with jitter.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { backoffMs, currentCaId, DEFAULT_RENEW_AFTER, finishPendingRetirement, liveCertificate, renew, sleep, type EventLog } from './certificate-pairing';
import { AgentError, CertificateExpiredError, CredentialRefusedError, EXIT_CODES, ServiceUnavailableError, type ExitCode } from './errors';
import { renewalPoint, type Generation } from './store';

/** What runs after each renewal: --exec, --signal to --pid-file's process. */
export interface RenewalHook {
  dir: string;
  exec?: string;
  signalName?: NodeJS.Signals;
  pidFile?: string;
  log: EventLog;
}

export interface RunOptions extends RenewalHook {
  /** Seconds between checks of the service's current CA (and of the renewal point). */
  checkIntervalSeconds: number;
  renewAfter?: number;
  /** Up to this fraction of the lifetime earlier than `renewAfter`, drawn once per certificate (a fleet spreads out). */
  jitter?: number;
  retireAfterSeconds: number;
  maxBackoffSeconds: number;
  signal: AbortSignal;
}

/** --exec runs through the shell with stdout sent to stderr (stdout is the agent's data); --signal goes to --pid-file's process. */
export async function afterRenewal(options: RenewalHook, generation: Generation): Promise<void> {
  if (options.exec) {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(options.exec!, {
        shell: true,
        stdio: ['ignore', process.stderr, process.stderr],
        env: { ...process.env, PAIRING_AGENT_DIR: options.dir, PAIRING_AGENT_SERIAL: generation.serial },
      });
      child.on('error', () => resolve(null));
      child.on('exit', (exitCode) => resolve(exitCode));
    });
    options.log(code === 0 ? 'exec' : 'exec-failed', { command: options.exec, exitCode: code });
  }
  if (options.signalName && options.pidFile) {
    try {
      const pid = Number(fs.readFileSync(options.pidFile, 'utf8').trim());
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no process id in ${options.pidFile}`);
      process.kill(pid, options.signalName);
      options.log('signalled', { pid, signal: options.signalName });
    } catch (error) {
      options.log('signal-failed', { pidFile: options.pidFile, reason: (error as Error).message });
    }
  }
}

/** Runs until `options.signal` aborts (exit 0), or the certificate is refused (5) or expires (4). */
export async function runAgent(options: RunOptions): Promise<ExitCode> {
  const { log, signal } = options;
  const renewAfter = options.renewAfter ?? DEFAULT_RENEW_AFTER;
  const jitter = options.jitter ?? 0.05;
  let failures = 0;
  let firstCheck = true;
  const fractionFor = new Map<string, number>();
  log('started', { dir: options.dir });
  while (!signal.aborted) {
    let wait = options.checkIntervalSeconds * 1000;
    try {
      if (firstCheck) await finishPendingRetirement(options.dir, log);
      const { live } = liveCertificate(options.dir);
      if (!fractionFor.has(live.serial)) fractionFor.set(live.serial, renewAfter - Math.random() * jitter);
      const renewAt = renewalPoint(live, fractionFor.get(live.serial)!);
      const caId = await currentCaId(options.dir);
      let reason: string | undefined;
      if (caId !== live.caId) reason = `the service's current CA is ${caId}, this certificate is from ${live.caId}`;
      else if (Date.now() >= renewAt.getTime()) reason = 'renewal point passed';
      if (firstCheck) log('checked', { serial: live.serial, caId: live.caId, notAfter: live.notAfter, renewAt: renewAt.toISOString() });
      firstCheck = false;
      if (reason) {
        log('renewing', { serial: live.serial, reason });
        const renewed = await renew(options.dir, { force: true, retireAfterSeconds: options.retireAfterSeconds, log, signal, afterRenewal: (generation) => afterRenewal(options, generation) });
        if (renewed) fractionFor.delete(renewed.previous.serial);
        wait = 0;
      } else {
        wait = Math.min(wait, Math.max(0, renewAt.getTime() - Date.now()));
      }
      failures = 0;
    } catch (error) {
      if (error instanceof CredentialRefusedError) {
        log('refused', { reason: error.message });
        return EXIT_CODES.revoked;
      }
      if (error instanceof CertificateExpiredError) {
        log('expired', { reason: error.message });
        return EXIT_CODES.expired;
      }
      if (!(error instanceof ServiceUnavailableError) && !(error instanceof AgentError)) throw error;
      // Never give up while the certificate is valid: an unreachable service, 5xx, 429 or a refusal such as a quota
      // may pass; expiry (checked above on the next round) is the end.
      wait = Math.max(1000, backoffMs(failures++, 1000, options.maxBackoffSeconds * 1000));
      log('retrying', { reason: error.message, attempt: failures, waitMs: wait });
    }
    await sleep(wait, signal);
  }
  log('stopped', {});
  return EXIT_CODES.ok;
}
