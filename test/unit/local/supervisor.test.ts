// The supervisor of `npm start`, with real child processes: it stops every part, the last started first, then cleans
// up and exits once; a part that ends by itself ends the stack; a part started while stopping is stopped at once.
import { processAlive, spawnProcess, type LocalProcess } from '../../../local/processes';
import { createSupervisor, type Running, type Supervisor } from '../../../local/supervisor';

/** A real process (sh) as a part of the stack; `script` decides whether it lives on or ends by itself. */
function part(name: string, script = 'exec sleep 30'): Running & { process: LocalProcess } {
  const child = spawnProcess({ name, command: 'sh', args: ['-c', script] });
  return { name, process: child, stop: () => child.stop(), exited: () => child.exited(), outputTail: () => child.outputTail() };
}

interface Observed {
  supervisor: Supervisor;
  log: string[];
  exits: number[];
  /** Resolves with the exit code once the supervisor exits. */
  exited: Promise<number>;
}

function observedSupervisor(): Observed {
  const log: string[] = [];
  const exits: number[] = [];
  let announceExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (announceExit = resolve));
  const supervisor = createSupervisor({
    log: (message) => log.push(message),
    afterStop: () => log.push('after stop'),
    exit: (code) => {
      exits.push(code);
      announceExit(code);
    },
  });
  return { supervisor, log, exits, exited };
}

const started: LocalProcess[] = [];
afterAll(() => Promise.all(started.map((child) => child.stop())));
const tracked = (observed: Observed, ...parts: ReturnType<typeof part>[]) => {
  for (const p of parts) {
    started.push(p.process);
    observed.supervisor.track(p);
  }
  return parts;
};

describe('createSupervisor', () => {
  test('shutdown stops every part, the last started first, then cleans up and exits once with its code', async () => {
    const observed = observedSupervisor();
    const parts = tracked(observed, part('first'), part('second'), part('third'));
    const stopping = observed.supervisor.shutdown(0, 'SIGTERM: stopping the stack');
    // A second signal while stopping waits for the first shutdown.
    expect(observed.supervisor.shutdown(0, 'SIGINT: stopping the stack')).toBe(stopping);
    await stopping;
    expect(observed.log).toEqual(['SIGTERM: stopping the stack', 'stopped third', 'stopped second', 'stopped first', 'after stop']);
    expect(observed.exits).toEqual([0]);
    expect(parts.map((p) => processAlive(p.process.pid))).toEqual([false, false, false]);
  });

  test('a part that ends by itself takes the stack down with code 1 and its last line of output', async () => {
    const observed = observedSupervisor();
    const [other] = tracked(observed, part('moto'), part('DynamoDB Local', 'sleep 0.3; echo "Could not start server on port 8000" >&2; exit 3'));
    expect(await observed.exited).toBe(1);
    expect(observed.log[0]).toBe('DynamoDB Local stopped unexpectedly: Could not start server on port 8000');
    expect(observed.log).toContain('stopped moto');
    expect(processAlive(other!.process.pid)).toBe(false);
  });

  test('a part that finishes starting while the stack stops is stopped at once', async () => {
    const observed = observedSupervisor();
    await observed.supervisor.shutdown(0);
    const late = part('serverless-offline');
    started.push(late.process);
    observed.supervisor.track(late);
    await late.process.exited();
    expect(processAlive(late.process.pid)).toBe(false);
    expect(observed.exits).toEqual([0]);
  });

  test('startTogether tracks the parts that started even when another failed, and rethrows the failure', async () => {
    const observed = observedSupervisor();
    const survivor = part('moto');
    started.push(survivor.process);
    const failure = new Error('DynamoDB Local did not answer');
    await expect(observed.supervisor.startTogether([Promise.resolve(survivor), Promise.reject(failure)])).rejects.toBe(failure);
    await observed.supervisor.shutdown(1, 'npm start failed');
    expect(observed.log).toEqual(['npm start failed', 'stopped moto', 'after stop']);
    expect(processAlive(survivor.process.pid)).toBe(false);
  });
});
