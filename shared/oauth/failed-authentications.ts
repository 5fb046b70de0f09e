// Repeated failed client authentications per client id, answered later and later (per process; API Gateway throttling is the edge limit).
import { setBounded } from '../bounded-map';

/** Failures of one client id are counted within this window, which starts at the first of them. */
const FAILURE_WINDOW_MS = 60_000;
/** Failures in a window answered at once: a client with a mistyped secret is not slowed down. */
const FREE_FAILURES = 3;
/** The delay of the first failure past the free ones; each further one doubles it, up to MAX_FAILURE_DELAY_MS. */
const FIRST_FAILURE_DELAY_MS = 250;
export const MAX_FAILURE_DELAY_MS = 2_000;
/** Client ids tracked at most, so that a caller trying many ids cannot grow this without bound. */
const MAX_TRACKED_CLIENT_IDS = 10_000;

export interface FailureClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: FailureClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface FailureWindow {
  failures: number;
  endsAt: number;
}

/**
 * Slows down guessing at one client id: after FREE_FAILURES failures within FAILURE_WINDOW_MS, each
 * further failure is answered after a growing delay (250 ms, 500 ms, 1 s, then 2 s), still with the same
 * invalid_client. Successes are never delayed, so the real client is not locked out by someone else's
 * guesses. The count lives in this process only: a Lambda container serves one request at a time and
 * others run beside it, so this slows a caller that goes through one container, and bounds what each
 * attempt costs; the limit at the edge is API Gateway's throttling.
 */
export class FailedAuthentications {
  private readonly windows = new Map<string, FailureWindow>();

  constructor(private readonly clock: FailureClock = systemClock) {}

  /** Records a failed authentication of the client id and waits as long as its failures call for. */
  async record(clientId: string): Promise<void> {
    const delay = this.count(clientId);
    if (delay > 0) await this.clock.sleep(delay);
  }

  /** Counts the failure; returns the delay it earns. */
  private count(clientId: string): number {
    const now = this.clock.now();
    let window = this.windows.get(clientId);
    if (!window || window.endsAt <= now) {
      window = { failures: 0, endsAt: now + FAILURE_WINDOW_MS };
      setBounded(this.windows, clientId, window, MAX_TRACKED_CLIENT_IDS, (tracked) => tracked.endsAt <= now);
    }
    window.failures += 1;
    return delayAfter(window.failures);
  }
}

/** The delay of the n-th failure within a window. */
function delayAfter(failures: number): number {
  if (failures <= FREE_FAILURES) return 0;
  return Math.min(MAX_FAILURE_DELAY_MS, FIRST_FAILURE_DELAY_MS * 2 ** (failures - FREE_FAILURES - 1));
}
