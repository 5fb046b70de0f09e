// Copy-paste shell commands an application runs with the pairing data Cockpit shows (bash, curl, openssl, jq).

/** One shell word: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * OAuth 2.0 client credentials: the grant the application makes for its access tokens, and a first Director call
 * with one. The secret is read from the terminal rather than written into the command, which would keep it in the
 * shell's history.
 */
export function clientCredentialsCommands(params: { clientId: string; tokenUrl: string; directorUrl: string }): string {
  return [
    `CLIENT_ID=${shellQuote(params.clientId)}`,
    "read -rsp 'Client secret: ' CLIENT_SECRET; echo   # paste the secret: it stays out of the shell history",
    '# 1. Get an access token (again when it expires).',
    `ACCESS_TOKEN=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${shellQuote(params.tokenUrl)} | jq -r .access_token)`,
    '# 2. Call the Director with it, as "Authorization: Bearer <access token>".',
    `curl -sS -H "Authorization: Bearer $ACCESS_TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '{"query": "{ viewer { id type } }"}' ${shellQuote(params.directorUrl)}`,
  ].join('\n');
}

/** The file the certificate script writes the mTLS endpoint's server CA to, and the pairing agent's --server-ca reads. */
export const SERVER_CA_FILE = 'mtls-server-ca.pem';

/**
 * Client certificate, from the one-time token to a working mTLS call: configuration (spends the token; announces
 * the CSR subject and the mTLS URLs), a key and CSR made with openssl, its signing, and a Director call over mTLS.
 * With `serverCa`, the mTLS endpoint's server certificate is checked against it (else against the system's CAs).
 */
export function clientCertificateCommands(params: { token: string; connectorURL: string; serverCa?: string }): string {
  const signMutation =
    '{query: "mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate caCertificate } }", variables: {csr: $csr}}';
  const serverCa = params.serverCa?.trim();
  const caOption = serverCa ? ` --cacert ${SERVER_CA_FILE}` : '';
  return [
    `CONNECTOR=${shellQuote(params.connectorURL)}`,
    `TOKEN=${shellQuote(params.token)}`,
    ...(serverCa
      ? [`# The CA the mTLS endpoint's server certificate chains to (public): trust it for the calls over mTLS.`, `printf '%s\\n' ${shellQuote(serverCa)} > ${SERVER_CA_FILE}`]
      : []),
    '# 1. configuration spends the one-time token; it returns the CSR subject, a fresh token for signing and the mTLS URLs.',
    `curl -sS "$CONNECTOR" -H "Connector-Token: $TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '{"query": "{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }"}' > configuration.json`,
    'CSR_TOKEN=$(jq -r .data.configuration.token.token configuration.json)',
    'SUBJECT=$(jq -r .data.configuration.certificateSigningRequestInfo.subject configuration.json)',
    'DIRECTOR_MTLS=$(jq -r .data.configuration.managementPlaneInfo.directorURL configuration.json)',
    '# 2. The key never leaves the application: make the CSR with the announced subject.',
    'openssl req -new -newkey rsa:2048 -nodes -keyout app.key -out app.csr -subj "/${SUBJECT//,//}"',
    '# 3. Have it signed: app.pem is the client certificate, ca.pem the CA that issued it.',
    `curl -sS "$CONNECTOR" -H "Connector-Token: $CSR_TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d "$(jq -nc --arg csr "$(base64 < app.csr | tr -d '\\n')" '${signMutation}')" > result.json`,
    'jq -r .data.signCertificateSigningRequest.clientCertificate result.json | base64 -d > app.pem',
    'jq -r .data.signCertificateSigningRequest.caCertificate result.json | base64 -d > ca.pem',
    'openssl verify -CAfile ca.pem app.pem',
    '# 4. From now on the application calls over mTLS with app.pem and app.key (renew before it expires: see the README).',
    `curl -sS${caOption} --cert app.pem --key app.key -H 'Content-Type: application/json' \\`,
    `  -d '{"query": "{ viewer { id type } }"}' "$DIRECTOR_MTLS"`,
  ].join('\n');
}

/** The pairing agent's two commands (it keeps the key, renews and retires on its own); pairing.json is the handoff bundle. */
export function pairingAgentCommands(params: { serverCa?: string }): string {
  const serverCaOption = params.serverCa?.trim() ? ` --server-ca ${SERVER_CA_FILE}` : '';
  return [
    `# pairing.json: the handoff bundle above${serverCaOption ? `; ${SERVER_CA_FILE}: its serverCA` : ''}.`,
    `npx pairing-agent pair --dir ./my-app${serverCaOption} < pairing.json`,
    'npx pairing-agent run --dir ./my-app',
  ].join('\n');
}
