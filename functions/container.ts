// The AWS clients of this container, made once from the configuration: every handler hands them to what it composes,
// and in-process callers of the handlers (tests, the bench, the local admin CLI) observe and fail the very same clients.
import { AwsClients } from '../shared/aws/clients';
import { config } from '../shared/config';

export const aws = new AwsClients(() => config().aws);
