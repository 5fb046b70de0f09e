// What every function of this container shares, made once from the configuration: the AWS clients, the stage's
// secrets (with their cache), KMS, the CA registry and the access-token signing keys (with theirs). Every handler hands
// them to what it composes, and in-process callers of the handlers (tests, the bench, the local admin CLI) observe,
// change and fail the very same ones. What only one function needs (the CA that issues, the CA lifecycle) its handler
// builds from these.
import { AwsClients } from '../shared/aws/clients';
import { KmsKeys } from '../shared/aws/kms';
import { SecretStore } from '../shared/aws/secrets';
import { CaRegistryStore } from '../shared/certificates/ca-registry-secret';
import { config } from '../shared/config';
import type { AccessTokenSigner } from '../shared/oauth/access-tokens';
import { SigningKeys } from '../shared/oauth/signing-keys';

export const aws = new AwsClients(() => config().aws);
export const secrets = new SecretStore(aws, config);
export const kms = new KmsKeys(aws);
export const caRegistry = new CaRegistryStore(secrets, config);
export const signingKeys = new SigningKeys(secrets, kms, config);
export const accessTokenSigner: AccessTokenSigner = { keys: signingKeys, kms };
