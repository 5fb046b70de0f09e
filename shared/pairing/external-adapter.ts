// Pairing adapters outside the service (as Compass's): each configured auth type is a PairingAdapter that asks the
// operator's adapter over HTTPS for the pairing data, and records only which adapter made it and its non-secret reference.
import { randomUUID } from 'node:crypto';
import type { CallerTrail } from '../audit/types';
import type { Validator } from '../json-schema';
import { logger } from '../logger';
import type { SystemAuthRepository } from '../system-auths/repository';
import { EXTERNAL_TYPE } from '../system-auths/external-auths';
import type { SystemAuth } from '../system-auths/types';
import type { AppSystemAuthFields, AuthTypeDescription, PairingAdapter, PairingApplication, PairingAuditEvent, PairingResult } from './adapter';
import type { ExternalAdapterConfig, ExternalAuthTypeConfig } from './external-config';
import { inputSchemaValidator } from './external-input-schema';
import { ExternalAdapterClient, PairingAdapterError, type AdapterRequestSigner } from './external-client';

/** Attempts of the DELETE that tells an adapter a credential is gone; it never blocks the deletion itself. */
export const UNPAIR_ATTEMPTS = 3;
/**
 * Time the DELETEs of one deletion may take together: a retry starts only if it can end within it, so telling a slow
 * adapter adds at most this to the administrator's request (the Director's deployed timeout is 15 s).
 */
export const UNPAIR_BUDGET_MS = 12_000;
/** The adapter's reference is an id, not a secret: short and printable. */
const MAX_REFERENCE_LENGTH = 256;

/** What the adapters are built with. */
export interface ExternalAdapterDeps {
  systemAuths: SystemAuthRepository;
  stage: string;
  /** Signs each call's JWT: the service's token-signing KMS key (kmsAdapterSigner). */
  sign: AdapterRequestSigner;
  /** Pause between DELETE attempts (ms); tests shorten it. */
  retryDelayMs?: number;
  /** The DELETEs' time budget (ms), UNPAIR_BUDGET_MS; tests shorten it. */
  unpairBudgetMs?: number;
}

/** The answer an adapter must give to a pairing request: `{params: {...}, reference?: "..."}`. */
function pairingAnswerOf(adapter: string, body: unknown): { params: Record<string, unknown>; reference?: string } {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(body)) throw new PairingAdapterError(adapter, 'answered without a JSON object {params, reference?}');
  const extra = Object.keys(body).find((key) => key !== 'params' && key !== 'reference');
  if (extra !== undefined) throw new PairingAdapterError(adapter, `answered with an unknown key "${extra}" (expected {params, reference?})`);
  if (!isObject(body.params)) throw new PairingAdapterError(adapter, 'answered without a params object');
  const { reference } = body;
  if (reference !== undefined && (typeof reference !== 'string' || reference.length > MAX_REFERENCE_LENGTH || !/^[\x21-\x7e]+$/.test(reference))) {
    throw new PairingAdapterError(adapter, `answered with a reference that is not a printable string of at most ${MAX_REFERENCE_LENGTH} characters`);
  }
  return reference === undefined ? { params: body.params } : { params: body.params, reference };
}

/** One auth type of one outside adapter. Every outside type creates SystemAuths of type EXTERNAL_TYPE. */
export class ExternalPairingAdapter implements PairingAdapter {
  readonly authType: AuthTypeDescription;
  readonly systemAuthType = EXTERNAL_TYPE;
  readonly sharesSystemAuthType = true;
  readonly revokedAction = 'SYSTEM_AUTH_REVOKED';
  readonly validateInput: Validator<Record<string, unknown>>;

  constructor(
    private readonly config: ExternalAdapterConfig,
    offered: ExternalAuthTypeConfig,
    private readonly client: ExternalAdapterClient,
    /** Every outside adapter's client by name: a SystemAuth is revoked through the adapter that made it. */
    private readonly clients: ReadonlyMap<string, ExternalAdapterClient>,
    private readonly deps: ExternalAdapterDeps,
  ) {
    this.authType = {
      type: offered.type,
      description: offered.description,
      inputParams: offered.inputParams,
      presentation: {
        label: offered.label,
        credentialNoun: `${offered.label} credential`,
        revocationEffect: `credential made by the pairing adapter ${config.name}`,
        pendingHint: null,
        handoverWarning: `The pairing data comes from the pairing adapter ${config.name}: this service does not keep it. Hand it to the application now.`,
        params: offered.params,
        // A form asks for the schema's properties by name: the operator's schema carries no words of its own.
        inputParams: Object.keys((offered.inputParams.properties ?? {}) as Record<string, unknown>).map((name) => ({ name, label: name })),
      },
    };
    // The schema is configuration, known only at start (config parsing has checked it is within the supported subset).
    this.validateInput = inputSchemaValidator(offered.inputParams);
  }

  async generate(application: PairingApplication, inputParams: Record<string, unknown>): Promise<PairingResult> {
    const requestId = randomUUID();
    const answer = await this.client.call('POST', application.tenant, {
      requestId,
      tenant: application.tenant,
      application: { id: application.id, name: application.name },
      type: this.authType.type,
      inputParams,
    });
    const { params, reference } = pairingAnswerOf(this.config.name, answer.body);
    const auth: SystemAuth = {
      id: randomUUID(),
      tenant: application.tenant,
      kind: 'APPLICATION',
      type: EXTERNAL_TYPE,
      appId: application.id,
      status: 'ACTIVE',
      scopes: [],
      createdAt: new Date().toISOString(),
      external: { adapter: this.config.name, authType: this.authType.type, ...(reference === undefined ? {} : { reference }) },
    };
    try {
      await this.deps.systemAuths.create(auth);
    } catch (error) {
      // Nothing of ours refers to what the adapter made: tell it so (once, best effort), and fail the pairing.
      await this.client.call('DELETE', application.tenant, {
        requestId, tenant: application.tenant, applicationId: application.id, systemAuthId: auth.id, type: this.authType.type, reference: reference ?? null,
      }).catch(() => logger.warn('an outside pairing adapter was not told of a pairing that could not be stored', { adapter: this.config.name, requestId, reference }));
      throw error;
    }
    // Never the params: they may hold what the adapter handed out.
    logger.info('outside pairing adapter paired', { adapter: this.config.name, requestId, systemAuthId: auth.id, reference });
    return { type: this.authType.type, systemAuthID: auth.id, params };
  }

  pairedEvents(): PairingAuditEvent[] {
    return [];
  }

  publicFields(auth: SystemAuth): AppSystemAuthFields {
    return { pairingAdapter: auth.external?.adapter, adapterReference: auth.external?.reference, authType: auth.external?.authType };
  }

  /**
   * Deletes the SystemAuth, then tells its adapter (bounded retries). A call that still fails is logged and recorded
   * in the trail (PAIRING_ADAPTER_NOTIFIED, FAILED), never thrown: the deletion stands.
   */
  async revoke(systemAuth: SystemAuth, trail: CallerTrail): Promise<void> {
    await this.deps.systemAuths.delete(systemAuth.id, { tenant: systemAuth.tenant, type: EXTERNAL_TYPE });
    const external = systemAuth.external;
    const client = external ? this.clients.get(external.adapter) : undefined;
    const notTold = (reason: string, details: Record<string, string | number | null>) =>
      trail.record({
        action: 'PAIRING_ADAPTER_NOTIFIED', outcome: 'FAILED', reason,
        target: { applicationId: systemAuth.appId, systemAuthId: systemAuth.id },
        details: { adapter: external?.adapter ?? null, authType: external?.authType ?? null, reference: external?.reference ?? null, ...details },
      });
    if (!external || !client) {
      logger.warn('credential of an outside pairing adapter deleted without telling it: the adapter is no longer configured', {
        systemAuthId: systemAuth.id, adapter: external?.adapter,
      });
      await notTold('the pairing adapter is no longer configured', { attempts: 0 });
      return;
    }
    const body = { requestId: randomUUID(), tenant: systemAuth.tenant, applicationId: systemAuth.appId, systemAuthId: systemAuth.id, type: external.authType, reference: external.reference ?? null };
    const started = Date.now();
    let attempts = 0;
    let lastFailure = '';
    while (attempts < UNPAIR_ATTEMPTS) {
      attempts += 1;
      try {
        await client.call('DELETE', systemAuth.tenant, body);
        logger.info('outside pairing adapter told of a deletion', { adapter: external.adapter, systemAuthId: systemAuth.id, attempt: attempts });
        return;
      } catch (error) {
        // The adapter's failure in our words (PairingAdapterError.reason): never its body.
        lastFailure = error instanceof PairingAdapterError ? error.reason : 'request could not be signed';
        logger.warn('telling an outside pairing adapter of a deletion failed', { adapter: external.adapter, systemAuthId: systemAuth.id, attempt: attempts, reason: lastFailure });
        const pause = (this.deps.retryDelayMs ?? 200) * attempts;
        if (attempts === UNPAIR_ATTEMPTS || Date.now() - started + pause + client.endpoint.timeoutMs > (this.deps.unpairBudgetMs ?? UNPAIR_BUDGET_MS)) break;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    logger.error('an outside pairing adapter was not told of a deletion', { adapter: external.adapter, systemAuthId: systemAuth.id, reference: external.reference, attempts });
    await notTold(`the pairing adapter was not told of the deletion: ${lastFailure}`, { attempts });
  }
}

/** The adapters of every configured outside auth type, in configuration order. */
export function externalPairingAdapters(configs: readonly ExternalAdapterConfig[], deps: ExternalAdapterDeps): ExternalPairingAdapter[] {
  if (configs.length === 0) return [];
  const clients = new Map(configs.map((config) => [config.name, new ExternalAdapterClient(config, deps.stage, deps.sign)]));
  return configs.flatMap((config) => config.authTypes.map((offered) => new ExternalPairingAdapter(config, offered, clients.get(config.name)!, clients, deps)));
}

