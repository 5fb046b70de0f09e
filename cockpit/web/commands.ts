// Copy-paste shell commands an application runs with the pairing data Cockpit shows (bash, curl, openssl, jq).

/** One shell word: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * OAuth 2.0 client credentials: the grant the application makes for its access tokens. The secret is read
 * from the terminal rather than written into the command, which would keep it in the shell's history.
 */
export function clientCredentialsCommands(params: { clientId: string; tokenUrl: string }): string {
  return [
    `CLIENT_ID=${shellQuote(params.clientId)}`,
    "read -rsp 'Client secret: ' CLIENT_SECRET; echo   # paste the secret: it stays out of the shell history",
    '# Get an access token (again when it expires); send it as "Authorization: Bearer <access_token>".',
    `curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${shellQuote(params.tokenUrl)}`,
  ].join('\n');
}

/** Client certificate: configuration (spends the one-time token), a CSR made with openssl, and its signing. */
export function clientCertificateCommands(params: { token: string; connectorURL: string }): string {
  const signMutation =
    '{query: "mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate caCertificate } }", variables: {csr: $csr}}';
  return [
    `CONNECTOR=${shellQuote(params.connectorURL)}`,
    `TOKEN=${shellQuote(params.token)}`,
    '# 1. configuration spends the one-time token; it returns the CSR subject and a fresh token for signing.',
    `curl -s "$CONNECTOR" -H "Connector-Token: $TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '{"query": "{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } } }"}' > configuration.json`,
    'CSR_TOKEN=$(jq -r .data.configuration.token.token configuration.json)',
    'SUBJECT=$(jq -r .data.configuration.certificateSigningRequestInfo.subject configuration.json)',
    '# 2. The key never leaves the application: make the CSR with the announced subject.',
    'openssl req -new -newkey rsa:2048 -nodes -keyout app.key -out app.csr -subj "/${SUBJECT//,//}"',
    '# 3. Have it signed: app.pem is the client certificate, ca.pem the CA that issued it.',
    `curl -s "$CONNECTOR" -H "Connector-Token: $CSR_TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d "$(jq -nc --arg csr "$(base64 < app.csr | tr -d '\\n')" '${signMutation}')" > result.json`,
    'jq -r .data.signCertificateSigningRequest.clientCertificate result.json | base64 -d > app.pem',
    'jq -r .data.signCertificateSigningRequest.caCertificate result.json | base64 -d > ca.pem',
    'openssl verify -CAfile ca.pem app.pem',
  ].join('\n');
}
