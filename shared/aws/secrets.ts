// Secrets Manager access: named secrets under the stage's prefix, with a short, bounded in-memory cache per store.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config';
import type { SecretsManagerClients } from './clients';

/** Thrown by SecretStore.create when a secret of that name already exists. */
export class SecretExistsError extends Error {
  override readonly name: string = 'SecretExistsError';

  constructor(name: string) {
    super(`secret ${name} already exists`);
  }
}

/** What a SecretStore reads of the configuration: the stage's name prefix and how long a read value may be served. */
export type SecretStoreSettings = () => Pick<Config, 'secretsPrefix' | 'secretCacheSeconds'>;

const errorName = (error: unknown) => (error as { name?: string } | undefined)?.name;

/**
 * The stage's secrets. Every method takes the name below the stage's prefix (e.g. 'pairing-ca-registry');
 * fullName says what Secrets Manager calls it. One store per composition root: its cache is that container's.
 */
export class SecretStore {
  /** By full name. */
  readonly #cache = new Map<string, { value: string | undefined; readAt: number }>();

  constructor(
    private readonly clients: SecretsManagerClients,
    private readonly settings: SecretStoreSettings,
  ) {}

  /** The full Secrets Manager name of a secret of this stage, e.g. fullName('oauth-clients', id). */
  fullName(...parts: string[]): string {
    return [this.settings().secretsPrefix, ...parts].join('/');
  }

  /**
   * The secret's string value, or undefined when there is no such secret.
   * `maxAgeSeconds` bounds how stale a cached value may be (0: always read; default: secretCacheSeconds).
   */
  async read(name: string, maxAgeSeconds: number = this.settings().secretCacheSeconds): Promise<string | undefined> {
    const fullName = this.fullName(name);
    const hit = this.#cache.get(fullName);
    if (hit && maxAgeSeconds > 0 && Date.now() - hit.readAt < maxAgeSeconds * 1000) return hit.value;
    let value: string | undefined;
    try {
      const out = await this.clients.secretsManager.send(new GetSecretValueCommand({ SecretId: fullName }));
      value = out.SecretString;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      value = undefined;
    }
    this.#cache.set(fullName, { value, readAt: Date.now() });
    return value;
  }

  /** Creates the secret; SecretExistsError when the name is taken (so "create if absent" has no race). */
  async create(name: string, value: string, description?: string): Promise<void> {
    try {
      await this.clients.secretsManager.send(new CreateSecretCommand({ Name: this.fullName(name), SecretString: value, Description: description }));
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') throw new SecretExistsError(this.fullName(name));
      throw error;
    }
    this.#cache.delete(this.fullName(name));
  }

  /** Stores a new value of an existing secret. */
  async put(name: string, value: string): Promise<void> {
    await this.clients.secretsManager.send(new PutSecretValueCommand({ SecretId: this.fullName(name), SecretString: value }));
    this.#cache.delete(this.fullName(name));
  }

  /** Deletes the secret at once (no recovery window); deleting a missing secret is not an error. */
  async delete(name: string): Promise<void> {
    this.#cache.delete(this.fullName(name));
    try {
      await this.clients.secretsManager.send(new DeleteSecretCommand({ SecretId: this.fullName(name), ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
  }

  /** Drops every cached value (tests that change secrets behind the store's back). */
  clearCache(): void {
    this.#cache.clear();
  }
}
