// The `bootstrap` Lambda behind the PairingBootstrap custom resource (CloudFormation only; no HTTP route).
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CaLifecycle } from '../../shared/certificates/ca-lifecycle';
import { config } from '../../shared/config';
import { S3Clients } from '../../shared/aws/s3';
import { answerCloudFormation } from '../../shared/deployment/custom-resource';
import { pairingBootstrapId, pairingBootstrapOutcome, type PairingBootstrapParts } from '../../shared/deployment/pairing-bootstrap';
import { observedHandler } from '../../shared/observability/invocation';
import { caRegistry, kms, kmsAdmin, secrets, signingKeyLifecycle } from '../container';

/** The truststore bucket's client of this container (tests point it at another endpoint with reset()). */
export const bucketClients = new S3Clients(() => config().aws);

/** The composition of this function: built once per container. */
export function bootstrapParts(): PairingBootstrapParts {
  return { cas: new CaLifecycle(secrets, caRegistry, kms, kmsAdmin, config), signingKeys: signingKeyLifecycle, s3: () => bucketClients.s3, settings: config };
}

const parts = bootstrapParts();

/** Always answers CloudFormation itself (the ResponseURL), so it never throws. */
export const handler = observedHandler('bootstrap', async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  await answerCloudFormation(event, context, () => pairingBootstrapId(config()), (request) => pairingBootstrapOutcome(request, parts));
});
