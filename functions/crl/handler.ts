// The `crl` Lambda: builds and publishes each CA's CRL, on a revocation ({caId}, invoked asynchronously) and every minute.
import type { Context } from 'aws-lambda';
import { loadCaRegistryFresh } from '../../shared/certificates/ca-registry-secret';
import { trustedCas } from '../../shared/certificates/ca-registry';
import { config } from '../../shared/config';
import { CrlBuilder, type BuildOutcome } from '../../shared/crl/builder';
import { CrlEntryRepository } from '../../shared/system-auths/crl-entries';
import { crlEnvironment } from '../../shared/crl/settings';
import { kmsCrlSigner } from '../../shared/crl/signer';
import { CrlState } from '../../shared/system-auths/crl-state';
import { CrlStore } from '../../shared/crl/store';
import { isCrlRebuildRequest } from '../../shared/crl/trigger';
import { logger } from '../../shared/logger';
import { noteOperation, observedHandler } from '../../shared/observability/invocation';
import { aws } from '../container';

// The composition of this function: built once per container.
const settings = crlEnvironment();
const builder = new CrlBuilder({
  entries: new CrlEntryRepository(aws.dynamo, config().systemAuthsTable),
  state: new CrlState(aws.dynamo, config().systemAuthsTable),
  store: new CrlStore(aws.s3, settings.bucket),
  cas: async () => trustedCas(await loadCaRegistryFresh()),
  signerOf: kmsCrlSigner,
  // A build takes seconds; a builder that died frees the CA for the next trigger or the schedule after 20 s.
  settings: { nextUpdateMs: settings.nextUpdateMs, leaseMs: 20_000 },
});

/**
 * A failed build throws: the CRL in place stays, the invocation counts as an error (the crl-errors alarm), and Lambda
 * retries an asynchronous invocation; the schedule tries again every minute.
 */
export const handler = observedHandler('crl', async (event: unknown, context?: Context): Promise<BuildOutcome[]> => {
  if (context) logger.addContext(context);
  noteOperation(isCrlRebuildRequest(event) ? 'rebuildCrl' : 'scheduledCrl');
  try {
    const outcomes = isCrlRebuildRequest(event) ? [await builder.rebuild(event.caId)] : await builder.rebuildDue();
    for (const outcome of outcomes) if (outcome.outcome === 'built') logger.info('CRL published', { action: 'CRL_PUBLISHED', ...outcome });
    return outcomes;
  } catch (error) {
    logger.error('CRL build failed: the previous CRL stays in place', { action: 'CRL_BUILD_FAILED', error });
    throw error;
  }
});
