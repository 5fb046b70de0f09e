// Where a test finds an OAuth client's secrets in either store (CLIENT_SECRET_STORE): Secrets Manager secrets, or verifiers in the SystemAuth item.
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { timingSafeEqual } from 'node:crypto';
import { kms, secretsManager } from '../../shared/aws/clients';
import { readSecret } from '../../shared/aws/secrets';
import { config } from '../../shared/config';
import { clientSecretName } from '../../shared/oauth/client-secrets';
import { storedVerifiersOf } from '../../shared/oauth/stored-verifiers';
import { systemAuths } from './stores';

/** Whether this jest project runs with CLIENT_SECRET_STORE=verifier. */
export const keepsVerifiers = (): boolean => config().clientSecretStore === 'verifier';

/** `test` in the Secrets Manager project, skipped in the verifier one: for tests of Secrets Manager's own failures. */
export const secretsManagerOnly = (): jest.It => (keepsVerifiers() ? test.skip : test);

/** Names of the client's Secrets Manager secrets (the initial one and the rotated ones beneath it). */
export async function secretsManagerSecretsOf(clientId: string): Promise<string[]> {
  const out = await secretsManager().send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [clientSecretName(clientId)] }] }));
  return (out.SecretList ?? []).map((secret) => secret.Name!).filter((name) => name.startsWith(clientSecretName(clientId))).sort();
}

/**
 * Every secret the service keeps of the client, named as its Secrets Manager secret would be: the Secrets Manager secrets
 * and, in verifier mode, each verifier in the client's item. So a test says "the client keeps its initial secret only"
 * once for both stores.
 */
export async function keptSecretsOf(clientId: string): Promise<string[]> {
  const verifiers = Object.keys((await systemAuths.get(clientId))?.secretVerifiers ?? {}).map((secretId) => clientSecretName(clientId, secretId));
  return [...new Set([...(await secretsManagerSecretsOf(clientId)), ...verifiers])].sort();
}

/** Whether the service keeps exactly `value` as the client's secret `secretId` (its value, or a verifier of it). */
export async function keepsSecret(clientId: string, secretId: string, value: string): Promise<boolean> {
  if (!keepsVerifiers()) return (await readSecret(clientSecretName(clientId, secretId), 0)) === value;
  const stored = (await systemAuths.get(clientId))?.secretVerifiers?.[secretId];
  if (stored === undefined) return false;
  const expected = await storedVerifiersOf(config())!.verifierOf(clientId, value);
  return stored.length === expected.length && timingSafeEqual(Buffer.from(stored), expected);
}

/** The SDK client and command that keep a new secret in this project's store: where a test makes keeping it fail. */
export function secretKeepingCall(): { client: Parameters<typeof import('../integration/pairing/aws-failures').injectFailure>[0]; command: string } {
  return keepsVerifiers() ? { client: kms(), command: 'GenerateMacCommand' } : { client: secretsManager(), command: 'CreateSecretCommand' };
}
