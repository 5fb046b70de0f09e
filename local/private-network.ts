// A server that cannot be told which address to listen on (DynamoDB Local: its Jetty binds every interface) runs in a
// network namespace of its own, where only loopback exists, and is reached through a socket listening on 127.0.0.1 of
// this machine that a relay inside the namespace forwards to it (private-network-relay.cjs).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError, listenOnLoopback, requireCommand, spawnProcess, type LocalProcess } from './processes';

const run = promisify(execFile);

export const NETWORK_NAMESPACE_HINT =
  'DynamoDB Local runs in a network namespace of its own, so that nothing beyond this machine can reach it: ' +
  'that needs unshare (util-linux, on every Debian) and python3 (which moto needs anyway)';

const RELAY = path.join(__dirname, 'private-network-relay.cjs');

/**
 * The unshare options that give a process a network namespace of its own: as root `--net`; otherwise `--net`
 * inside a user namespace whose root is this user (where the kernel allows unprivileged user namespaces).
 */
function unshareOptions(): string[] {
  return process.getuid?.() === 0 ? ['--net'] : ['--map-root-user', '--net'];
}

let checked: Promise<void> | undefined;

/** Fails with a LocalStackError saying what is missing when this machine cannot give a process a private network. */
export async function requirePrivateNetwork(): Promise<void> {
  requireCommand('unshare', NETWORK_NAMESPACE_HINT);
  requireCommand('python3', NETWORK_NAMESPACE_HINT);
  // The relay's own first step, tried once: does this machine let us make a namespace and bring its loopback up?
  checked ??= run('unshare', [...unshareOptions(), process.execPath, RELAY, '--check']).then(
    () => undefined,
    (error: unknown) => {
      checked = undefined;
      const reason = String((error as { stderr?: unknown }).stderr || (error as Error).message).trim();
      throw new LocalStackError(
        `cannot make a network namespace here (unshare ${unshareOptions().join(' ')}: ${reason}); ${NETWORK_NAMESPACE_HINT}, ` +
          'and root or unprivileged user namespaces',
      );
    },
  );
  return checked;
}

export interface PrivateNetworkServer {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** The port the server listens on: inside its namespace, and on 127.0.0.1 of this machine through the relay. */
  port: number;
  /** The environment variable that chooses the port, named in the busy-port error. */
  portVariable?: string;
}

/**
 * Starts `command` in a network namespace of its own and serves it on 127.0.0.1:<port>. The listening socket is
 * made here, in this machine's network, and handed to the relay: the port is taken before anything starts, and no
 * socket of the server's own is reachable from outside its namespace. The returned process group holds the relay
 * and the server.
 */
export async function spawnInPrivateNetwork(server: PrivateNetworkServer): Promise<LocalProcess> {
  await requirePrivateNetwork();
  const listener = await listenOnLoopback(server.port, server.portVariable);
  return spawnProcess({
    name: server.name,
    command: 'unshare',
    args: [...unshareOptions(), process.execPath, RELAY, String(server.port), server.command, ...server.args],
    cwd: server.cwd,
    listener,
  });
}
