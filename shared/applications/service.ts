// The application rules: register, update, read, list and unregister within the caller's tenant, and status changes.
import { randomUUID } from 'node:crypto';
import type { CallerTrail } from '../audit/types';
import type { NamedTransactItems } from '../aws/transactions';
import { BadUserInputError, NotFoundError } from '../errors';
import { quotedId } from '../ids';
import { decodeCursor, encodeCursor } from './cursor';
import { ApplicationRepository, createdKeyOf } from './repository';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Application,
  type ApplicationPage,
  type ApplicationStatusCondition,
} from './types';
import { validateRegisterInput, validateUpdateInput, type RawApplicationInput } from './validation';

/**
 * Revokes every credential one kind of credential store holds for an application (OAuth clients and
 * their secrets, pending one-time tokens, certificates). Unregistering and unpairing run every revoker
 * before they change the application, so a failed revocation leaves the application in place to retry. `trail`: the
 * audit trail of whoever asked, for what follows from a revocation (PairingAdapter.revoke).
 */
export interface CredentialRevoker {
  revokeApplicationCredentials(tenant: string, appId: string, trail: CallerTrail): Promise<void>;
}

export interface ListOptions {
  first?: number | null;
  after?: string | null;
}

export class ApplicationService {
  constructor(
    private readonly repository: ApplicationRepository,
    private readonly credentialRevokers: readonly CredentialRevoker[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `alongside`: items of other tables (the audit event) written in the application's own transaction. */
  async register(tenant: string, raw: RawApplicationInput, alongside?: (app: Application) => NamedTransactItems): Promise<Application> {
    const input = validateRegisterInput(raw);
    const timestamp = this.now().toISOString();
    const app: Application = {
      tenant,
      id: randomUUID(),
      ...input,
      status: { condition: 'INITIAL', timestamp },
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await this.repository.create(app, alongside?.(app));
    return app;
  }

  async update(tenant: string, id: string, raw: RawApplicationInput): Promise<Application> {
    const input = validateUpdateInput(raw);
    return this.repository.update(tenant, id, input, this.now().toISOString());
  }

  /** The application, or undefined when the tenant has none with this id. */
  get(tenant: string, id: string): Promise<Application | undefined> {
    return this.repository.get(tenant, id);
  }

  /** The application; NotFoundError when the tenant has none with this id. */
  async require(tenant: string, id: string): Promise<Application> {
    const app = await this.repository.get(tenant, id);
    if (!app) throw new NotFoundError(`application ${quotedId(id)} not found`);
    return app;
  }

  /** The tenant's applications, newest first, `first` at a time after the opaque cursor `after`. */
  async list(tenant: string, options: ListOptions = {}): Promise<ApplicationPage> {
    const first = pageSize(options.first);
    const after = options.after == null ? undefined : decodeCursor(options.after);
    const [page, totalCount] = await Promise.all([this.repository.list(tenant, first, after), this.repository.count(tenant)]);
    const last = page.items.at(-1);
    return {
      data: page.items,
      totalCount,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? cursorOf(last) : null },
    };
  }

  /** Revokes every credential of the application, then deletes it; returns it as it was. */
  async unregister(tenant: string, id: string, trail: CallerTrail, alongside?: (app: Application) => NamedTransactItems): Promise<Application> {
    const app = await this.require(tenant, id);
    await this.revokeCredentials(tenant, app.id, trail);
    await this.repository.delete(app, alongside?.(app));
    return app;
  }

  /** Runs every credential revoker for the application (unregister, and unpairing). */
  async revokeCredentials(tenant: string, appId: string, trail: CallerTrail): Promise<void> {
    for (const revoker of this.credentialRevokers) await revoker.revokeApplicationCredentials(tenant, appId, trail);
  }

  /**
   * Records that the application called with its own credentials; an application that is gone stays
   * gone. False when it is gone: the credentials must then be refused.
   */
  markConnected(tenant: string, appId: string): Promise<boolean> {
    return this.repository.markConnected(tenant, appId, this.now().toISOString());
  }

  /** Sets the status condition (timestamped now); NotFoundError when the application is absent. */
  setStatus(tenant: string, appId: string, condition: ApplicationStatusCondition): Promise<Application> {
    return this.repository.setStatus(tenant, appId, { condition, timestamp: this.now().toISOString() });
  }
}

/** The cursor that continues a listing after this application. */
export function cursorOf(app: Application): string {
  return encodeCursor({ createdKey: createdKeyOf(app), id: app.id });
}

/** The page size `first` asks for: the default when absent, BAD_USER_INPUT outside 1..MAX_PAGE_SIZE. */
export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first: must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

