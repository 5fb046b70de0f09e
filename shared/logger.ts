// The structured JSON logger (Powertools). Never pass secrets, tokens or authorization headers to it.
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './config';

export const logger = new Logger({ serviceName: SERVICE_NAME });
