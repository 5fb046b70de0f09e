// Builds, checks and publishes each CA's CRL: on a revocation (debounced by a per-CA lease) and on a schedule.
import { randomUUID, X509Certificate } from 'node:crypto';
import { caCertificateFields } from '../certificates/ca';
import type { CaEntry } from '../certificates/ca-registry';
import { crlSignatureVerifies, signCrl } from '../certificates/crl';
import type { Signer } from '../certificates/x509';
import type { CrlEntryRepository } from '../system-auths/crl-entries';
import type { CrlState } from '../system-auths/crl-state';
import type { CrlStore } from './store';

export interface CrlSettings {
  /** nextUpdate - thisUpdate of every CRL (CRL_NEXT_UPDATE_HOURS, default 24 h); the schedule rebuilds at half of it. */
  nextUpdateMs: number;
  /** How long one builder may hold a CA's lease: longer than a build takes, shorter than the 60 s freshness bound. */
  leaseMs: number;
}

export interface CrlBuilderDependencies {
  entries: CrlEntryRepository;
  state: CrlState;
  store: CrlStore;
  /** The CAs to keep a CRL for: the registry's trusted ones (retired CAs sign nothing any more). */
  cas: () => Promise<CaEntry[]>;
  signerOf: (keyArn: string) => Signer;
  settings: CrlSettings;
  now?: () => Date;
}

export type BuildOutcome =
  | { caId: string; outcome: 'built'; crlNumber: string; entries: number; bytes: number }
  | { caId: string; outcome: 'busy' | 'fresh' | 'no-key' | 'unknown-ca' };

/** A build that failed: the CRL in place stays (nothing was written), and the function's error raises the alarm. */
export class CrlBuildError extends Error {
  override readonly name = 'CrlBuildError';
}

/** Rebuilds after the lease is released while revocations are pending, this many times at most per invocation. */
const MAX_ROUNDS = 5;

export class CrlBuilder {
  readonly #owner = randomUUID();
  readonly #now: () => Date;

  constructor(private readonly deps: CrlBuilderDependencies) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** Builds CA `caId`'s CRL if a revocation is pending (or `force`), unless another builder is at it. */
  async rebuild(caId: string, options: { force?: boolean } = {}): Promise<BuildOutcome> {
    const ca = (await this.deps.cas()).find((entry) => entry.id === caId);
    if (!ca) return { caId, outcome: 'unknown-ca' };
    return this.rebuildCa(ca, options.force === true);
  }

  /** The schedule: every CA with a pending revocation, without a CRL, or whose CRL is older than nextUpdate / 2. */
  async rebuildDue(): Promise<BuildOutcome[]> {
    const outcomes: BuildOutcome[] = [];
    for (const ca of await this.deps.cas()) {
      const last = await this.deps.state.lastBuild(ca.id);
      const stale = !last || this.#now().getTime() - last.builtAt.getTime() >= this.deps.settings.nextUpdateMs / 2;
      outcomes.push(await this.rebuildCa(ca, stale));
    }
    return outcomes;
  }

  private async rebuildCa(ca: CaEntry, force: boolean): Promise<BuildOutcome> {
    if (!ca.keyArn) return { caId: ca.id, outcome: 'no-key' };
    let outcome: BuildOutcome = { caId: ca.id, outcome: 'fresh' };
    let due = force || (await this.deps.entries.hasPending(ca.id, this.#now()));
    // Released before looking for pending revocations again: a revocation whose trigger found the lease taken is
    // either seen by that look or finds the lease free itself, so none waits for the schedule.
    for (let round = 0; due && round < MAX_ROUNDS; round++) {
      if (!(await this.deps.state.acquire(ca.id, this.#owner, this.#now(), this.deps.settings.leaseMs))) {
        return round === 0 ? { caId: ca.id, outcome: 'busy' } : outcome;
      }
      let built: Extract<BuildOutcome, { outcome: 'built' }> | undefined;
      try {
        built = await this.build(ca);
      } finally {
        await this.deps.state.release(ca.id, this.#owner, built && { builtAt: this.#now(), crlNumber: BigInt(built.crlNumber) });
      }
      outcome = built;
      due = await this.deps.entries.hasPending(ca.id, this.#now());
    }
    return outcome;
  }

  private async build(ca: CaEntry): Promise<Extract<BuildOutcome, { outcome: 'built' }>> {
    const now = this.#now();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const records = await this.deps.entries.revokedOf(ca.id, now);
    const fields = caCertificateFields(new X509Certificate(ca.certificatePem));
    const crlNumber = await this.deps.state.nextNumber();
    let der: Buffer;
    try {
      der = await signCrl(
        {
          issuerDer: fields.subjectDer,
          authorityKeyId: fields.keyIdentifier,
          crlNumber,
          thisUpdate,
          nextUpdate: new Date(thisUpdate.getTime() + this.deps.settings.nextUpdateMs),
          entries: records,
        },
        this.deps.signerOf(ca.keyArn!),
      );
    } catch (cause) {
      throw new CrlBuildError(`signing the CRL of CA ${ca.id} failed`, { cause });
    }
    if (!crlSignatureVerifies(der, ca.certificatePem)) throw new CrlBuildError(`the signature of CA ${ca.id}'s CRL does not verify with the CA certificate`);
    await this.deps.store.put(ca.id, der);
    await this.deps.entries.markPublished(ca.id, records);
    return { caId: ca.id, outcome: 'built', crlNumber: crlNumber.toString(), entries: records.length, bytes: der.length };
  }
}
