// Which TCP sockets processes listen on, read from /proc (Linux): to show that the local stack is reachable from this machine only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** A listening TCP socket held by one of the processes asked about. */
export interface ListeningSocket {
  pid: number;
  /** The process's command name (/proc/<pid>/comm), e.g. `java`, `node`, `moto_server`. */
  command: string;
  /** The bound address as written by people: `127.0.0.1`, `::1`, `0.0.0.0`, `::`. */
  address: string;
  port: number;
  /** The network namespace the socket lives in, which may differ from the holder's own (a socket handed over). */
  namespace: string;
  /** Whether that namespace is this test's own, i.e. the machine's network. */
  hostNamespace: boolean;
  /** The network interfaces of that namespace (from /proc/<pid>/net/dev), e.g. ['lo', 'eth0']. */
  interfaces: string[];
}

const LISTEN = '0A';

/** 0100007F -> 127.0.0.1 (IPv4) or 16 bytes in 4 host-order words -> an IPv6 address; /proc prints host byte order. */
function decodeAddress(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  if (os.endianness() === 'LE') for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  // The usual short forms of the addresses that matter here; others stay in full.
  const full = groups.join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  if (full.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  return full;
}

/** Whether a bound address accepts connections only from this machine. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

const readLink = (file: string) => {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined; // the process or descriptor went away meanwhile
  }
};
const readText = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The socket inodes a process holds open. */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`) ?? '')?.slice(1) ?? []);
}

interface TableRow {
  address: string;
  port: number;
  namespace: string;
  interfaces: string[];
}

/** LISTEN rows of the TCP tables of the network namespace `pid` is in, by inode. */
function listenRows(pid: number | 'self', into: Map<string, TableRow>): void {
  const namespace = readLink(`/proc/${pid}/ns/net`);
  if (!namespace) return;
  const interfaces = readText(`/proc/${pid}/net/dev`)
    .split('\n')
    .slice(2)
    .flatMap((line) => /^\s*([^:\s]+):/.exec(line)?.slice(1) ?? []);
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readText(`/proc/${pid}/net/${table}`).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      const [addressHex, portHex] = fields[1]!.split(':');
      into.set(fields[9]!, { address: decodeAddress(addressHex!), port: parseInt(portHex!, 16), namespace, interfaces });
    }
  }
}

/**
 * Every TCP socket in LISTEN state that one of `pids` holds open, in whichever network namespace it lives:
 * the machine's (this process's) or one of the processes' own.
 */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const hostNamespace = readLink('/proc/self/ns/net');
  const rows = new Map<string, TableRow>();
  listenRows('self', rows);
  for (const pid of pids) listenRows(pid, rows);
  return pids.flatMap((pid) => {
    const command = readText(`/proc/${pid}/comm`).trim();
    return socketInodes(pid).flatMap((inode) => {
      const row = rows.get(inode);
      return row ? [{ pid, command, ...row, hostNamespace: row.namespace === hostNamespace }] : [];
    });
  });
}

/**
 * Whether others on the network could connect to the socket: bound to an address beyond loopback in the machine's
 * network namespace, or in a namespace that has an interface besides `lo`.
 */
export function reachableBeyondLoopback(socket: ListeningSocket): boolean {
  if (socket.hostNamespace) return !isLoopback(socket.address);
  return socket.interfaces.some((name) => name !== 'lo');
}

/** The processes that hold a socket listening on `port` in this machine's network namespace. */
export function listenersOfPort(port: number): number[] {
  const rows = new Map<string, TableRow>();
  listenRows('self', rows);
  const inodes = new Set([...rows].filter(([, row]) => row.port === port).map(([inode]) => inode));
  if (inodes.size === 0) return [];
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => socketInodes(pid).some((inode) => inodes.has(inode)));
}

/** `pid` and every process below it (children, grandchildren...), from ps. */
export function processTree(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    for (const [child, parent] of rows) if (parent === found[i] && !found.includes(child!)) found.push(child!);
  }
  return found;
}

/** One line per socket for an assertion message, e.g. `java (4711) 127.0.0.1:8000 [host]`. */
export function describeSockets(sockets: readonly ListeningSocket[]): string[] {
  return sockets.map(
    (s) =>
      `${s.command} (${s.pid}) ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port} ` +
      (s.hostNamespace ? '[host network]' : `[own network namespace: ${s.interfaces.join(', ') || 'no interface'}]`),
  );
}
