// The SystemAuth type of credentials made by pairing adapters outside the service (shared/pairing/external-adapter.ts).
import type { SystemAuthType } from './types';

/** Every outside adapter's credentials are of this one type; the SystemAuth's `external` says which adapter made it. */
export const EXTERNAL_TYPE = 'EXTERNAL' satisfies SystemAuthType;
