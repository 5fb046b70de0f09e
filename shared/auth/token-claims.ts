// What a verified access token says: the claims bearer authentication reads (shared/oauth/access-tokens.ts issues and verifies them).
import type { SystemAuthKind } from '../system-auths/types';

export interface AccessTokenClaims {
  iss: string;
  /** The OAuth client id (= SystemAuth id). */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  tenant: string;
  clientKind: SystemAuthKind;
  appId?: string;
  scopes: string[];
  /**
   * RFC 8705 3.1: the SHA-256 thumbprint (`cnf.x5t#S256`, base64url) of the client certificate the token is bound to;
   * undefined for a bearer token. A bound token is only accepted together with that certificate.
   */
  certificateThumbprint?: string;
}
