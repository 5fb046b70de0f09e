// The handoff bundle of a certificate pairing: everything an application needs from the one-time token to its first call over mTLS.
import { clientCertificateCommands, pairingAgentCommands } from './commands';
import type { PairingAuthResult } from './queries';

/** The page's <meta> names for the mTLS endpoint's URL and server CA (the same as HANDOFF_META in shared/cockpit/site.ts). */
export const HANDOFF_META = { mtlsBaseUrl: 'pairing-mtls-url', mtlsServerCa: 'pairing-mtls-server-ca' } as const;

export interface HandoffSettings {
  /** https://… of the mTLS endpoint; empty when the stage has none. */
  mtlsBaseUrl: string;
  /** PEM of the CA its server certificate chains to; empty when that certificate is publicly trusted. */
  mtlsServerCa: string;
}

/** What the server put into the page (empty values when the page was served without them). */
export function pageHandoffSettings(doc: Pick<Document, 'querySelector'> = document): HandoffSettings {
  const meta = (name: string) => doc.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() ?? '';
  return { mtlsBaseUrl: meta(HANDOFF_META.mtlsBaseUrl), mtlsServerCa: meta(HANDOFF_META.mtlsServerCa) };
}

/**
 * The generateAuthForApplication answer ({type, systemAuthID, params, expiresAt}: what the pairing agent reads as
 * pairing.json, ignoring the rest) with what the answer leaves out: where the mTLS endpoint is, which CA to trust for
 * it (null: the system's), the agent's command lines and the same steps as a protocol-level script.
 */
export function handoffBundle(result: PairingAuthResult, settings: HandoffSettings) {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const serverCa = settings.mtlsServerCa ? `${settings.mtlsServerCa.trim()}\n` : null;
  return {
    type: result.type,
    systemAuthID: result.systemAuthID,
    params: result.params,
    expiresAt: result.expiresAt ?? (text(result.params.expiresAt) || null),
    mtlsURL: settings.mtlsBaseUrl || null,
    serverCA: serverCa,
    agent: pairingAgentCommands({ serverCa: serverCa ?? undefined }),
    script: clientCertificateCommands({ token: text(result.params.token), connectorURL: text(result.params.connectorURL), serverCa: serverCa ?? undefined }),
  };
}
