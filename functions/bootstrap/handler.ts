// The `bootstrap` Lambda behind the PairingBootstrap custom resource (CloudFormation only; no HTTP route).
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { answerCloudFormation } from '../../shared/deployment/custom-resource';
import { pairingBootstrapId, pairingBootstrapOutcome } from '../../shared/deployment/pairing-bootstrap';
import { observedHandler } from '../../shared/observability/invocation';

/** Always answers CloudFormation itself (the ResponseURL), so it never throws. */
export const handler = observedHandler('bootstrap', async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  await answerCloudFormation(event, context, pairingBootstrapId, (request) => pairingBootstrapOutcome(request));
});
