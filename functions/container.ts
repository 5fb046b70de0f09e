// What every function of this container shares, made once from the configuration: the AWS clients, the stage's
// secrets (with their cache), KMS, the CA registry and the access-token signing keys (with theirs), and the key
// administration of the bootstrap and the admin tools. Every handler hands
// them to what it composes, and in-process callers of the handlers (tests, the bench, the local admin CLI) observe,
// change and fail the very same ones. What only one function needs (the CA that issues, the CA lifecycle) its handler
// builds from these.
import { getTogether } from '../shared/aws/batch-get';
import { AwsClients } from '../shared/aws/clients';
import type { ReadTogether } from '../shared/auth/client-certificate';
import { KmsKeyAdmin, KmsKeys } from '../shared/aws/kms';
import { SecretStore } from '../shared/aws/secrets';
import { CaRegistryStore } from '../shared/certificates/ca-registry-secret';
import { config } from '../shared/config';
import type { AccessTokenSigner } from '../shared/oauth/access-tokens';
import { SigningKeyLifecycle } from '../shared/oauth/signing-key-lifecycle';
import { SigningKeys } from '../shared/oauth/signing-keys';

// Each is made once and does nothing until used; marked pure so that a function's bundle leaves out what it never uses
// (the tokens function needs no signing keys, the verifiers no key administration).
export const aws = /* @__PURE__ */ new AwsClients(() => config().aws);
export const secrets = /* @__PURE__ */ new SecretStore(aws, config);
export const kms = /* @__PURE__ */ new KmsKeys(aws);
export const caRegistry = /* @__PURE__ */ new CaRegistryStore(secrets, config);
export const signingKeys = /* @__PURE__ */ new SigningKeys(secrets, config);
/** Making and retiring keys: the bootstrap, `npm start`, the admin CLI. */
export const kmsAdmin = /* @__PURE__ */ new KmsKeyAdmin(aws);
export const signingKeyLifecycle = /* @__PURE__ */ new SigningKeyLifecycle(signingKeys, secrets, kmsAdmin);
export const accessTokenSigner: AccessTokenSigner = { keys: signingKeys, kms };
/** Certificate authentication's three reads (record, SystemAuth, application) in one BatchGetItem. */
export const readTogether: ReadTogether = (reads) => getTogether(aws.dynamo, reads);
