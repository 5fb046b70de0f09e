// Child processes of the local stack and the tests: spawned in their own process group, watched by a
// guardian so they die with their parent, stopped group-wide, and waited on until they answer HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** An expected failure of the local tooling (busy port, missing Java...): report its message, no stack. */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}

/** A running child process group, e.g. DynamoDB Local, moto or serverless-offline. */
export interface LocalProcess {
  readonly name: string;
  readonly pid: number;
  /** The last output lines of the process (for error messages). */
  outputTail(): string;
  /** Resolves once the process has exited (immediately when it already has). */
  exited(): Promise<void>;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the child's output as it arrives (besides the kept tail); default: output is only kept. */
  onOutput?: (chunk: Buffer) => void;
  /**
   * A listening socket handed to the child, a Node.js process, as its first IPC message (`listener`); this process
   * closes its own copy once the child has it, so the child alone serves it.
   */
  listener?: net.Server;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const TAIL_CHARS = 4000;

/** Whether a process (or, with a negative id, a process group) exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// A separate tiny process, not a handler in this one: it must also act when the parent is SIGKILLed,
// which no exit handler survives. It exits as soon as the group it watches is gone.
const GUARDIAN = `
const [parent, group] = process.argv.slice(1).map(Number);
process.title = 'local-stack-guardian ' + group;
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const timer = setInterval(() => {
  if (!alive(-group)) process.exit(0);
  if (alive(parent)) return;
  clearInterval(timer);
  try { process.kill(-group, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(-group, 'SIGKILL'); } catch {} process.exit(0); }, 3000);
}, 500);
`;

function startGuardian(groupId: number): void {
  const guardian = spawn(process.execPath, ['-e', GUARDIAN, String(process.pid), String(groupId)], {
    detached: true,
    stdio: 'ignore',
  });
  guardian.unref();
}

/** Spawns `command` as the leader of a new process group that is killed with this process at the latest. */
export function spawnProcess(options: SpawnOptions): LocalProcess {
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: options.listener ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const listener = options.listener;
  if (listener) {
    // Until the child has it, this process would accept connections too: refused, the clients try again.
    listener.on('connection', (socket: net.Socket) => socket.destroy());
    // Sent, or not (the child died at once): either way this process no longer serves the port, and the
    // IPC channel must not keep it alive.
    const handOver = () => {
      listener.close();
      if (child.connected) child.disconnect();
    };
    if (child.pid === undefined) handOver();
    else child.send('listener', listener, handOver);
  }
  let tail = '';
  let spawnError: Error | undefined;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    options.onOutput?.(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously enough that there is no pid (e.g. ENOENT): surface it on first use
    return {
      name: options.name,
      pid: -1,
      outputTail: () => spawnError?.message ?? `${options.command} could not be started`,
      exited: () => exit,
      stop: async () => {},
    };
  }
  const pid = child.pid;
  startGuardian(pid);
  // Do not keep the parent's event loop alive for the child's sake (jest's global setup returns).
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    name: options.name,
    pid,
    outputTail: () => (spawnError ? `${spawnError.message}\n` : '') + tail,
    exited: () => exit,
    stop: (graceMs = 3000) => stopProcessGroup(pid, graceMs),
  };
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when no process of the group is left. */
export async function stopProcessGroup(groupId: number, graceMs = 3000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-groupId, name);
    } catch {
      // ESRCH: the group is already gone
    }
  };
  if (!processAlive(-groupId)) return;
  signal('SIGTERM');
  const killAt = Date.now() + graceMs;
  while (processAlive(-groupId) && Date.now() < killAt) await sleep(50);
  if (!processAlive(-groupId)) return;
  signal('SIGKILL');
  const giveUpAt = Date.now() + 2000;
  while (processAlive(-groupId) && Date.now() < giveUpAt) await sleep(50);
}

/** Stops several processes at once (each its own grace period); never throws. */
export async function stopAll(processes: readonly LocalProcess[], graceMs = 3000): Promise<void> {
  await Promise.all(processes.map((p) => p.stop(graceMs).catch(() => undefined)));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A server listening on 127.0.0.1:<port>, with no connection handler yet; a LocalStackError naming the port and the
 * variable that sets it (if any) when the port is taken.
 */
export function listenOnLoopback(port: number, variable?: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code ?? error.message})`;
      const remedy = variable ? `: stop what uses it or set ${variable} to another port` : '';
      reject(new LocalStackError(`port ${port} ${reason}${remedy}`));
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/** Throws a LocalStackError naming the port and the variable that sets it (if any) when the port is taken. */
export async function assertPortFree(port: number, variable?: string): Promise<void> {
  const server = await listenOnLoopback(port, variable);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Parses a port variable (e.g. PORT) with its default; a LocalStackError when it is not a port number. */
export function portFromEnv(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalStackError(`${variable} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

/** Throws a LocalStackError with `installHint` when `command` is not an executable on PATH. */
export function requireCommand(command: string, installHint: string): void {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const found = dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new LocalStackError(`${command} is not on PATH: ${installHint}`);
}

/**
 * Polls `url` until `isReady` accepts a response. Fails early when `process` exits and after `timeoutMs`,
 * with the process's last output in the message.
 */
export async function waitForHttp(
  url: string,
  options: {
    process?: LocalProcess;
    timeoutMs?: number;
    /** How long one request may take before it counts as no answer (default 2 s). */
    requestTimeoutMs?: number;
    init?: RequestInit;
    isReady?: (response: Response) => boolean;
    what?: string;
  } = {},
): Promise<void> {
  const { process: child, timeoutMs = 30000, requestTimeoutMs = 2000, init, isReady = () => true } = options;
  const what = options.what ?? child?.name ?? url;
  let exited = false;
  void child?.exited().then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  while (Date.now() < deadline) {
    if (exited) throw new LocalStackError(`${what} exited during start-up: ${lastLine(child?.outputTail() ?? '')}`);
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });
      await response.arrayBuffer();
      if (isReady(response)) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    }
    await sleep(100);
  }
  throw new LocalStackError(
    `${what} did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s (${lastProblem})` +
      (child ? `: ${lastLine(child.outputTail())}` : ''),
  );
}

/**
 * One line saying why a process failed, from its output: the paragraph after a line `Error:` (osls
 * prints its error there, followed by a stack and a docs link), otherwise the last non-empty line.
 */
export function lastLine(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => line === 'Error:');
  if (start >= 0) {
    const paragraph: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line === '' || /^at .*:\d+:\d+\)?$/.test(line)) break; // a stack frame
      paragraph.push(line.replace(/^Error: /, ''));
    }
    if (paragraph.length > 0) return paragraph.join(' ');
  }
  return lines.filter(Boolean).at(-1) ?? '(no output)';
}
