// Where the CPU of a load run goes: the CPU time of each process of the local stack (read from Linux's /proc), of
// the bench's own clients, and of everything else on the machine (other work sharing it), per request.
import fs from 'node:fs';
import os from 'node:os';

/** The parts of the local stack, by what their command line shows. */
export const STACK_PARTS = [
  { part: 'mTLS endpoint (local/start.ts)', matches: (cmd: string) => cmd.includes('local/start.ts') },
  { part: 'serverless-offline and the handlers in its workers', matches: (cmd: string) => cmd.includes('serverless.js') },
  { part: "DynamoDB Local's loopback relay", matches: (cmd: string) => cmd.includes('private-network-relay') },
  { part: 'DynamoDB Local (Java)', matches: (cmd: string) => /^\S*java\b/.test(cmd) },
  { part: 'moto (KMS, Secrets Manager)', matches: (cmd: string) => cmd.includes('moto_server') },
] as const;
export const OTHER_STACK_PART = 'other processes of the stack';

/** utime + stime in ms of a /proc/<pid>/stat line (fields 14 and 15; the command in parentheses may hold spaces). */
export function cpuMsOfStat(stat: string, ticksPerSecond = 100): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** The parent pid of a /proc/<pid>/stat line. */
export function parentOfStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Busy and total CPU time in ms of all cores, from the `cpu` line of /proc/stat. */
export function machineCpuMs(procStat: string, ticksPerSecond = 100): { busy: number; total: number } {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no cpu line');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: (busy * 1000) / ticksPerSecond, total: ((busy + idle! + iowait!) * 1000) / ticksPerSecond };
}

export function partOf(commandLine: string): string {
  return STACK_PARTS.find((p) => p.matches(commandLine))?.part ?? OTHER_STACK_PART;
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended meanwhile
  }
};

/** Every process below `root` (included), with its command line. */
function processTree(root: number): Map<number, string> {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    const parent = parentOfStat(stat);
    parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
  }
  const tree = new Map<number, string>();
  const visit = (pid: number) => {
    tree.set(pid, (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim());
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

export interface CpuSnapshot {
  byPid: Map<number, { part: string; cpuMs: number }>;
  benchMs: number;
  machine: { busy: number; total: number };
}

/** CPU times now of the stack below `root`, of this process (the clients) and of the whole machine. */
export function cpuSnapshot(root: number): CpuSnapshot {
  const byPid = new Map<number, { part: string; cpuMs: number }>();
  for (const [pid, commandLine] of processTree(root)) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat) byPid.set(pid, { part: partOf(commandLine), cpuMs: cpuMsOfStat(stat) });
  }
  const own = process.cpuUsage();
  return { byPid, benchMs: (own.user + own.system) / 1000, machine: machineCpuMs(fs.readFileSync('/proc/stat', 'utf8')) };
}

export interface CpuSplit {
  /** CPU ms per request of each part of the stack, largest first. */
  stack: Array<{ part: string; msPerRequest: number }>;
  stackMsPerRequest: number;
  /** The bench's keep-alive clients (this process). */
  clientsMsPerRequest: number;
  /** Everything else on the machine during the run, in cores (other work sharing it). */
  elsewhereCores: number;
  /** Cores the machine has. */
  cores: number;
}

/** What each part spent between two snapshots, per request. */
export function cpuSplit(before: CpuSnapshot, after: CpuSnapshot, requests: number, wallMs: number, cores = os.cpus().length): CpuSplit {
  const perPart = new Map<string, number>();
  for (const [pid, now] of after.byPid) {
    const spent = now.cpuMs - (before.byPid.get(pid)?.cpuMs ?? 0);
    perPart.set(now.part, (perPart.get(now.part) ?? 0) + spent);
  }
  const stackMs = [...perPart.values()].reduce((a, b) => a + b, 0);
  const benchMs = after.benchMs - before.benchMs;
  const machineMs = after.machine.busy - before.machine.busy;
  const n = Math.max(1, requests);
  return {
    stack: [...perPart].map(([part, ms]) => ({ part, msPerRequest: ms / n })).sort((a, b) => b.msPerRequest - a.msPerRequest),
    stackMsPerRequest: stackMs / n,
    clientsMsPerRequest: benchMs / n,
    elsewhereCores: Math.max(0, machineMs - stackMs - benchMs) / wallMs,
    cores,
  };
}
