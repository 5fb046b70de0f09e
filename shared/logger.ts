// The structured JSON logger (Powertools). Never pass secrets, tokens or authorization headers to it.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'pairing-service' });
