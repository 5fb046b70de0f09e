// The Connector's GraphQL SDL: the contract (../shared/spec/connector.graphql) with this service's additive
// extensions, kept as a TypeScript string so that esbuild, jest and tsx all load it without a text-file loader.
export const connectorSdl = `# Connector API — the contract served at POST /connector/graphql, both
#   - token-secured: header \`Connector-Token: <one-time token>\` (or query parameter \`?token=\`), and
#   - certificate-secured: through the mTLS endpoint, authenticated by the client certificate.
# Same names as the Compass Connector.

type Query {
  # Token-secured: consumes the presented token and returns a fresh one for signCertificateSigningRequest.
  # Certificate-secured: returns the same CSR info for the certificate's SystemAuth, and a null token.
  configuration: Configuration!
}

type Mutation {
  # csr: base64 of a PEM "CERTIFICATE REQUEST" (plain PEM is accepted too).
  # Token-secured: first pairing. Certificate-secured: renewal (same subject required).
  signCertificateSigningRequest(csr: String!): CertificationResult!
  # Certificate-secured only: revokes the calling certificate, and every certificate renewed from it
  # (directly or through others). Returns true.
  revokeCertificate: Boolean!
  # Extension. Certificate-secured only: retires the certificate the calling one was renewed from, and every
  # other certificate renewed from that one; the calling certificate and its own renewals keep working.
  # The step after a renewal. Returns true.
  retirePreviousCertificate: Boolean!
}

type Configuration {
  token: Token
  certificateSigningRequestInfo: CertificateSigningRequestInfo!
  managementPlaneInfo: ManagementPlaneInfo!
}

type Token {
  token: String!
}

type CertificateSigningRequestInfo {
  # Exact subject the CSR must carry, comma-separated, in this order:
  # "O=<org>,OU=<org unit>,L=<locality>,ST=<province>,C=<country>,CN=<systemAuthID>"
  subject: String!
  # Key the CSR must use: "rsa2048" (RSA of 2048 to 4096 bits). EC P-256 is also accepted.
  keyAlgorithm: String!
  # Extension. The current pairing CA, the one that signs the CSR: its id (ca-<n>, as rotate-ca names it) and its
  # certificate (base64 of PEM). Certificates of earlier CAs stay valid until they expire, are revoked or the CA is retired.
  caId: String!
  caCertificate: String!
}

type ManagementPlaneInfo {
  directorURL: String                      # the Director on the mTLS endpoint
  certificateSecuredConnectorURL: String   # this API on the mTLS endpoint
}

type CertificationResult {
  certificateChain: String!    # base64 of PEM: the client certificate followed by the CA certificate
  caCertificate: String!       # base64 of PEM
  clientCertificate: String!   # base64 of PEM
  # Extension. The id of the CA that signed clientCertificate (caCertificate is its certificate); null only when
  # a retry returns a certificate issued before CA rotation existed.
  caId: String
}
`;
