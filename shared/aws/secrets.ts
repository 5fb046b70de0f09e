// Secrets Manager access: named secrets under the stage's prefix, with a short, bounded in-memory cache.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { config } from '../config';
import { secretsManager } from './clients';

/** Thrown by createSecret when a secret of that name already exists. */
export class SecretExistsError extends Error {
  override readonly name: string = 'SecretExistsError';

  constructor(name: string) {
    super(`secret ${name} already exists`);
  }
}

/** The full Secrets Manager name of a secret of this stage, e.g. secretName('oauth-clients', id). */
export function secretName(...parts: string[]): string {
  return [config().secretsPrefix, ...parts].join('/');
}

const cache = new Map<string, { value: string | undefined; readAt: number }>();

const errorName = (error: unknown) => (error as { name?: string } | undefined)?.name;

/**
 * The secret's string value, or undefined when there is no such secret.
 * `maxAgeSeconds` bounds how stale a cached value may be (0: always read).
 */
export async function readSecret(name: string, maxAgeSeconds = config().secretCacheSeconds): Promise<string | undefined> {
  const hit = cache.get(name);
  if (hit && maxAgeSeconds > 0 && Date.now() - hit.readAt < maxAgeSeconds * 1000) return hit.value;
  let value: string | undefined;
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: name }));
    value = out.SecretString;
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
    value = undefined;
  }
  cache.set(name, { value, readAt: Date.now() });
  return value;
}

/** Creates the secret; SecretExistsError when the name is taken (so "create if absent" has no race). */
export async function createSecret(name: string, value: string, description?: string): Promise<void> {
  try {
    await secretsManager().send(new CreateSecretCommand({ Name: name, SecretString: value, Description: description }));
  } catch (error) {
    if (errorName(error) === 'ResourceExistsException') throw new SecretExistsError(name);
    throw error;
  }
  cache.delete(name);
}

/** Stores a new value of an existing secret. */
export async function putSecret(name: string, value: string): Promise<void> {
  await secretsManager().send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  cache.delete(name);
}

/** Deletes the secret at once (no recovery window); deleting a missing secret is not an error. */
export async function deleteSecret(name: string): Promise<void> {
  cache.delete(name);
  try {
    await secretsManager().send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
  }
}

/** Drops every cached value (tests). */
export function clearSecretCache(): void {
  cache.clear();
}
