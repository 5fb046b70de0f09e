// Every resolver module of the Director, merged into the one map the schema is built with.
import type { Resolvers } from '../../graphql/schema';
import { mergeResolvers } from '../../graphql/schema';
import { JSONScalar, TimestampScalar } from '../../graphql/scalars';
import { auditResolvers } from '../audit';
import type { DirectorContext } from '../context';
import { applicationResolvers } from './applications';
import { certificateResolvers } from './certificates';
import { pairingResolvers } from './pairing';
import { viewerResolvers } from './viewer';

const scalars: Resolvers<DirectorContext> = { JSON: JSONScalar, Timestamp: TimestampScalar };

export const directorResolvers: Resolvers<DirectorContext> = mergeResolvers(scalars, viewerResolvers, applicationResolvers, pairingResolvers, certificateResolvers, auditResolvers);
