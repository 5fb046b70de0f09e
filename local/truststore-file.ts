// The local mTLS endpoint's truststore: every CA of the registry that is not retired, read again every second so that
// rotate-ca and retire-ca take effect without a restart, and written to <state dir>/truststore.pem for openssl and tests.
import { truststorePem } from '../shared/certificates/ca-lifecycle';
import type { CaRegistryStore } from '../shared/certificates/ca-registry-secret';
import { writeTruststoreFile } from './stack-file';

/** How often the registry is read again (one GetSecretValue on local moto). */
export const TRUSTSTORE_POLL_MS = 1000;

export interface FollowedTruststore {
  /** The truststore as last read. */
  readonly pem: string;
  /** Called with the new truststore whenever it changes. */
  onChange(listener: (pem: string) => void): void;
  stop(): void;
}

/** Reads the truststore now, writes truststore.pem, and follows the registry until stop(). */
export async function followTruststore(
  registry: Pick<CaRegistryStore, 'loadFresh'>,
  stateDir: string,
  log: (line: string) => void,
  pollMs = TRUSTSTORE_POLL_MS,
): Promise<FollowedTruststore> {
  let pem = truststorePem(await registry.loadFresh());
  writeTruststoreFile(stateDir, pem);
  const listeners: Array<(pem: string) => void> = [];
  let failing = false;
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    registry.loadFresh()
      .then((registry) => {
        failing = false;
        const next = truststorePem(registry);
        if (next === pem) return;
        pem = next;
        writeTruststoreFile(stateDir, pem);
        for (const listener of listeners) listener(pem);
        log('mTLS endpoint: the pairing CA registry changed, trusting its CAs from now on');
      })
      .catch((error: unknown) => {
        // Keep the last truststore; say so once per outage, not every second.
        if (!failing) log(`mTLS endpoint: reading the pairing CA registry failed (${(error as Error).name}); keeping the last truststore`);
        failing = true;
      })
      .finally(() => {
        polling = false;
      });
  }, pollMs);
  timer.unref();
  return {
    get pem() {
      return pem;
    },
    onChange: (listener) => void listeners.push(listener),
    stop: () => clearInterval(timer),
  };
}
