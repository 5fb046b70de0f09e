// The supervisor of `npm start`: keeps every part the stack started, and when a signal comes, the parent goes away or
// a part ends by itself, stops them all (the last started first) and exits.
import { lastLine, processAlive } from './processes';

/** Something the stack started and must stop on the way out. */
export interface Running {
  readonly name: string;
  stop(): Promise<void>;
  /** Resolves when it ends by itself (a crash after start-up ends the stack). */
  exited?(): Promise<void>;
  /** Its last output, to say why it ended. */
  outputTail?(): string;
}

export interface SupervisorOptions {
  /** A progress line for people (stderr), e.g. `stopped moto`. */
  log(message: string): void;
  /** Runs once every part has stopped, before the exit (e.g. removing the files that describe the stack). */
  afterStop(): void;
  /** Ends this process; the tests pass their own. */
  exit?(code: number): void;
}

export interface Supervisor {
  /** Registers a started part; one that ends by itself later takes the whole stack down. */
  track<T extends Running>(part: T): T;
  /** Waits for all parts to start and tracks each one that did, so a failure of one still stops the others. */
  startTogether<T extends Running>(starting: Promise<T>[]): Promise<T[]>;
  /** Stops everything and exits; later calls (a second signal, the parent going away) wait for the first. */
  shutdown(code: number, message?: string): Promise<void>;
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const running: Running[] = [];
  let stopping = false;
  let stopped: Promise<void> | undefined;

  async function stopEverything(): Promise<void> {
    // Frontends first (they use local AWS), then the rest; each group gets SIGTERM, then SIGKILL.
    const frontendsFirst = [...running].reverse();
    running.length = 0;
    for (const part of frontendsFirst) {
      await part.stop().catch(() => undefined);
      options.log(`stopped ${part.name}`);
    }
  }

  function shutdown(code: number, message?: string): Promise<void> {
    if (stopped) return stopped;
    stopping = true;
    if (message) options.log(message);
    stopped = stopEverything().then(() => {
      options.afterStop();
      exit(code);
    });
    return stopped;
  }

  function track<T extends Running>(part: T): T {
    // Started while stopping (a signal during start-up): stop it now rather than leave it to its guardian.
    if (stopping) void part.stop();
    else running.push(part);
    void part.exited?.().then(() => {
      if (stopping) return;
      const why = part.outputTail ? `: ${lastLine(part.outputTail())}` : '';
      void shutdown(1, `${part.name} stopped unexpectedly${why}`);
    });
    return part;
  }

  async function startTogether<T extends Running>(starting: Promise<T>[]): Promise<T[]> {
    const results = await Promise.allSettled(starting);
    const parts = results.flatMap((result) => (result.status === 'fulfilled' ? [track(result.value)] : []));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    return parts;
  }

  return { track, startTogether, shutdown };
}

/**
 * Makes this process end the stack: SIGINT, SIGTERM and SIGHUP stop it, and so does the parent going away (npm
 * killed with SIGKILL, a closed CI step). The parent watch is also what keeps this process alive while the
 * children (unref'd) run.
 */
export function stopOnSignalsAndOrphaning(supervisor: Supervisor): void {
  // A closed terminal or pipe must not turn into an unhandled EPIPE while stopping.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void supervisor.shutdown(0, `${signal}: stopping the stack`));
  }
  const parentPid = process.ppid;
  setInterval(() => {
    if (parentPid > 1 && !processAlive(parentPid)) void supervisor.shutdown(0, 'parent process is gone: stopping the stack');
  }, 1000);
}
