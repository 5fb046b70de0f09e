// One application: its status, description, labels and credentials, and pairing, revoking (a credential, one certificate or one client secret), rotating a client secret, unpairing, unregistering.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { AuditTrail } from './activity';
import { ConfirmDialog, CopyableValue, ErrorText, messageOf, type ConfirmRequest } from './controls';
import { certificateRevocationNotice, credentialUse, formatTime, renewedFromName } from './format';
import { PairForm, PairingParams, type Paired } from './pairing';
import {
  DELETE_SYSTEM_AUTH,
  GENERATE_AUTH,
  GET_APPLICATION,
  REVOKE_CLIENT_SECRET,
  REVOKE_ISSUED_CERTIFICATE,
  ROTATE_CLIENT_SECRET,
  UNPAIR_APPLICATION,
  UNREGISTER_APPLICATION,
  type ApplicationDetail as Application,
  type ClientSecret,
  type ClientSecretInfo,
  type IssuedCertificate,
  type PairingAuthResult,
  type SystemAuth,
} from './queries';
import { useDirector, useDirectorQuery } from './session';

interface ApplicationDetailProps {
  appId: string;
  /** After unregistering: back to the list, with a message. */
  onUnregistered: (message: string) => void;
}

export function ApplicationDetail({ appId, onUnregistered }: ApplicationDetailProps) {
  const call = useDirector();
  const application = useDirectorQuery<{ application: Application | null }>(GET_APPLICATION, { id: appId });
  const app = application.loaded?.data.application;
  const error = application.error;
  const load = application.reload;
  const [paired, setPairing] = useState<Paired | null>(null);
  const pairing = paired?.result ?? null;
  const [confirmation, setConfirmation] = useState<ConfirmRequest | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A rotated secret's value, shown once until the administrator says it was handed over.
  const [rotated, setRotated] = useState<(ClientSecret & { authId: string }) | null>(null);
  const [rotateError, setRotateError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const focusHeading = useCallback(() => heading.current?.focus(), []);

  useEffect(() => {
    document.title = `${app ? app.name : app === null ? 'Not found' : 'Application'} · Cockpit`;
  }, [app?.name, app === null]);

  // Credentials are listed through a DynamoDB index, which AWS brings up to date a moment after a write
  // (eventually consistent). So the view leaves out what it has just revoked, and reads again, a second
  // apart, until a credential it has just created appears.
  const [revoked, setRevoked] = useState<ReadonlySet<string>>(new Set());
  const [rereads, setRereads] = useState(0);
  useEffect(() => {
    if (!pairing || !app || app.auths.some((auth) => auth.id === pairing.systemAuthID) || rereads >= 5) return;
    const timer = setTimeout(() => {
      setRereads((count) => count + 1);
      void load();
    }, 1000);
    return () => clearTimeout(timer);
  }, [pairing, app, rereads, load]);
  // Arriving from the list: the focus starts at the application's name.
  useEffect(() => {
    if (app) focusHeading();
  }, [app?.id]);

  if (app === null) {
    return (
      <main>
        <p class="error" role="alert" data-testid="not-found">
          There is no application with id <code>{appId}</code> in your tenant (it may have been unregistered).
        </p>
        <a href="#/">Back to the applications</a>
      </main>
    );
  }
  if (!app) {
    return (
      <main>
        <ErrorText message={error} testId="detail-error" />
        {!error && <p role="status">Loading…</p>}
      </main>
    );
  }

  const ask = (request: ConfirmRequest) => setConfirmation(request);
  const revoke = (auth: SystemAuth) =>
    ask({
      title: 'Revoke this credential?',
      body: (
        <p>
          The {auth.presentation.revocationEffect} of{' '}
          <code>{auth.id}</code> stop working at once. This cannot be undone.
        </p>
      ),
      action: 'Revoke credential',
      run: async () => {
        await call(DELETE_SYSTEM_AUTH, { id: auth.id });
        setRevoked((ids) => new Set(ids).add(auth.id));
        // Pairing data of a revoked credential is worthless: it must not stay on screen as if it worked.
        if (pairing?.systemAuthID === auth.id) setPairing(null);
        setNotice(`Revoked ${auth.id}: it no longer works, and it is removed from the list.`);
        await load();
      },
    });
  const revokeCertificate = (auth: SystemAuth, certificate: IssuedCertificate) =>
    ask({
      title: 'Revoke this certificate?',
      body: (
        <p>
          Certificate <code>{certificate.serialNumber}</code> stops working at once, and so does every certificate renewed from it
          (whoever holds a copy may have renewed it). Its credential <code>{auth.id}</code> and its other certificates stay. This
          cannot be undone.
        </p>
      ),
      action: 'Revoke certificate',
      run: async () => {
        // By fingerprint: it names exactly one certificate, where a serial is unique only per issuing CA.
        const answer = await call<{ revokeIssuedCertificate: Pick<IssuedCertificate, 'serialNumber'>[] }>(REVOKE_ISSUED_CERTIFICATE, {
          authID: auth.id,
          fingerprint: certificate.sha256Fingerprint,
        });
        setNotice(certificateRevocationNotice(certificate.serialNumber, answer.revokeIssuedCertificate.length));
        await load();
      },
    });
  // A certificate credential that can no longer call: a new one-time token (a new credential) is the way back.
  const pairAgain = async (auth: SystemAuth) => {
    setRotateError(null);
    try {
      const answer = await call<{ generateAuthForApplication: PairingAuthResult }>(GENERATE_AUTH, { id: app.id, type: auth.type, inputParams: {} });
      setPairing({ result: answer.generateAuthForApplication, presentation: auth.presentation });
      setRereads(0);
      setNotice(`New one-time token for ${app.name}: hand over the pairing data above; then revoke ${auth.id}, which can no longer call.`);
      await load();
    } catch (failure) {
      setRotateError(messageOf(failure));
    }
  };
  const rotateSecret = async (auth: SystemAuth) => {
    setRotateError(null);
    try {
      const answer = await call<{ rotateClientSecret: ClientSecret }>(ROTATE_CLIENT_SECRET, { authID: auth.id });
      setRotated({ ...answer.rotateClientSecret, authId: auth.id });
      await load();
    } catch (failure) {
      setRotateError(messageOf(failure));
    }
  };
  const revokeSecret = (auth: SystemAuth, secret: ClientSecretInfo) =>
    ask({
      title: 'Revoke this client secret?',
      body: (
        <p>
          Secret <code>{secret.id}</code> of client <code>{auth.id}</code> gets no more access tokens, from the next request on; the
          client's other secret keeps working. This cannot be undone.
        </p>
      ),
      action: 'Revoke secret',
      run: async () => {
        await call(REVOKE_CLIENT_SECRET, { authID: auth.id, secretId: secret.id });
        if (rotated?.id === secret.id) setRotated(null);
        setNotice(`Revoked secret ${secret.id} of ${auth.id}: it no longer gets access tokens.`);
        await load();
      },
    });
  const unpair = () =>
    ask({
      title: `Unpair ${app.name}?`,
      body: <p>Every credential of {app.name} is revoked and it goes back to INITIAL; it stays registered and can be paired again.</p>,
      action: 'Unpair',
      run: async () => {
        await call(UNPAIR_APPLICATION, { id: app.id });
        setPairing(null);
        setNotice(`Unpaired ${app.name}: every credential it had is revoked.`);
        await load();
      },
    });
  const unregister = () =>
    ask({
      title: `Unregister ${app.name}?`,
      body: <p>Every credential of {app.name} is revoked and the application is deleted. This cannot be undone.</p>,
      action: 'Unregister',
      run: async () => {
        await call(UNREGISTER_APPLICATION, { id: app.id });
        onUnregistered(`Unregistered ${app.name}; its credentials are revoked.`);
      },
    });

  const labels = Object.entries(app.labels ?? {});
  const auths = app.auths.filter((auth) => !revoked.has(auth.id));
  const now = Date.now();
  // CONNECTED says the application has called once; whether it still can is its credentials' matter.
  const nothingWorks = app.status.condition === 'CONNECTED' && !auths.some((auth) => ['usable', 'waiting'].includes(credentialUse(auth, now)));
  return (
    <main data-testid="application-detail" data-app-id={app.id}>
      <p>
        <a href="#/">← Applications</a>
      </p>
      <h2 ref={heading} tabIndex={-1}>
        {app.name}
      </h2>
      <ErrorText message={error} testId="detail-error" />
      {notice && (
        <p class="notice" role="status" data-testid="detail-notice">
          {notice}
        </p>
      )}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`badge ${app.status.condition.toLowerCase()}`} data-testid="app-status">
            {app.status.condition}
          </span>{' '}
          since {formatTime(app.status.timestamp)}
          {nothingWorks && (
            <p class="warning" data-testid="app-liveness">
              It has called before, but none of its credentials works now (every certificate revoked or expired, or every credential
              revoked): pair it again to give it a new one.
            </p>
          )}
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{app.id}</code>
        </dd>
        <dt>Description</dt>
        <dd>{app.description ?? '—'}</dd>
        {app.baseUrl && (
          <>
            <dt>Base URL</dt>
            <dd>{app.baseUrl}</dd>
          </>
        )}
        <dt>Labels</dt>
        <dd>
          {labels.length === 0
            ? '—'
            : labels.map(([key, value]) => (
                <span class="label" key={key}>
                  {key}={Array.isArray(value) ? value.join(', ') : value}
                </span>
              ))}
        </dd>
        <dt>Registered</dt>
        <dd>{formatTime(app.createdAt)}</dd>
      </dl>

      <section class="card" aria-labelledby="pair-title">
        <h3 id="pair-title">Pair</h3>
        {paired ? (
          <PairingParams
            paired={paired}
            onDone={() => {
              setPairing(null);
              focusHeading();
            }}
          />
        ) : (
          <PairForm
            appId={app.id}
            onPaired={(result) => {
              setPairing(result);
              setRereads(0);
              void load();
            }}
          />
        )}
      </section>

      <section aria-labelledby="auths-title">
        <h3 id="auths-title">Credentials</h3>
        <ErrorText message={rotateError} testId="rotate-error" />
        {rotated && (
          <section class="card" aria-labelledby="rotated-title" data-testid="rotated-secret">
            <h4 id="rotated-title">New secret of {rotated.authId}</h4>
            <p class="warning" role="alert">
              This secret is shown once, now. The client's other secret keeps working: revoke it once the application uses this one.
            </p>
            <dl>
              <CopyableValue label="Secret id" value={rotated.id} testId="rotated-secret-id" />
              <CopyableValue label="Client secret" value={rotated.clientSecret} testId="rotated-secret-value" />
            </dl>
            <button type="button" onClick={() => setRotated(null)} data-testid="rotated-done">
              Done, I have handed it over
            </button>
          </section>
        )}
        {auths.length === 0 ? (
          <p>None: pair the application to give it credentials.</p>
        ) : (
          <SystemAuthTable
            auths={auths}
            onRevoke={revoke}
            onRevokeCertificate={revokeCertificate}
            onRotateSecret={(auth) => void rotateSecret(auth)}
            onRevokeSecret={revokeSecret}
            onPairAgain={(auth) => void pairAgain(auth)}
            now={now}
          />
        )}
      </section>

      <section aria-labelledby="activity-title" data-testid="application-activity">
        <h3 id="activity-title">Activity</h3>
        {/* Read again whenever the application is: what this page just did shows up. */}
        <AuditTrail appId={app.id} refresh={application.loaded} />
      </section>

      <section class="danger-zone" aria-labelledby="danger-title">
        <h3 id="danger-title">Revoke everything</h3>
        <button type="button" class="danger" data-testid="unpair" onClick={unpair}>
          Unpair
        </button>{' '}
        <button type="button" class="danger" data-testid="unregister" onClick={unregister}>
          Unregister
        </button>
      </section>
      <ConfirmDialog request={confirmation} onClose={() => setConfirmation(null)} fallbackFocus={focusHeading} />
    </main>
  );
}

interface SystemAuthTableProps {
  auths: SystemAuth[];
  onRevoke: (auth: SystemAuth) => void;
  onRevokeCertificate: (auth: SystemAuth, certificate: IssuedCertificate) => void;
  onRotateSecret: (auth: SystemAuth) => void;
  onRevokeSecret: (auth: SystemAuth, secret: ClientSecretInfo) => void;
  onPairAgain: (auth: SystemAuth) => void;
  now: number;
}

/** A client has at most this many live secrets (the Director refuses a third). */
const MAX_LIVE_CLIENT_SECRETS = 2;

function SystemAuthTable({ auths, onRevoke, onRevokeCertificate, onRotateSecret, onRevokeSecret, onPairAgain, now }: SystemAuthTableProps) {
  return (
    <div class="table-scroll">
      <table class="auths">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Id</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Details</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {auths.map((auth) => {
            const use = credentialUse(auth, now);
            return (
            <tr key={auth.id} data-testid="auth-row" data-auth-id={auth.id} data-status={auth.status} data-type={auth.type} data-use={use}>
              <td>{auth.presentation.label}</td>
              <td>
                <code>{auth.id}</code>
              </td>
              <td>
                <span class={`badge ${auth.status.toLowerCase()}`} data-testid="auth-status">
                  {auth.status}
                </span>
                {use === 'no-live-certificate' && (
                  <div data-testid="auth-liveness">
                    <span class="badge failed">NO LIVE CERTIFICATE</span>
                    <p class="hint">Every certificate is revoked or expired: it cannot call. Pair again for a new one-time token (a new credential), then revoke this one.</p>
                    <button type="button" data-testid="pair-again" onClick={() => onPairAgain(auth)} aria-label={`Pair again instead of ${auth.id}`}>
                      Pair again
                    </button>
                  </div>
                )}
                {use === 'waiting' && auth.presentation.pendingHint && <p class="hint">{auth.presentation.pendingHint}</p>}
              </td>
              <td>{formatTime(auth.createdAt)}</td>
              <td>{formatTime(auth.lastUsedAt)}</td>
              <td>
                {auth.scopes && auth.scopes.length > 0 && <div>Scopes: {auth.scopes.join(' ')}</div>}
                {auth.pairingAdapter && (
                  <div data-testid="pairing-adapter">
                    Held by the pairing adapter {auth.pairingAdapter}
                    {auth.adapterReference && (
                      <>
                        , reference <code>{auth.adapterReference}</code>
                      </>
                    )}
                  </div>
                )}
                {auth.secrets && auth.status === 'ACTIVE' && (
                  <>
                    <ul class="secrets">
                      {auth.secrets.map((secret) => (
                        <li key={secret.id} data-testid="client-secret" data-secret-id={secret.id}>
                          Secret <code>{secret.id}</code>, created {formatTime(secret.createdAt)}, last used {formatTime(secret.lastUsedAt)}
                          {auth.secrets!.length > 1 && (
                            <>
                              {' '}
                              <button
                                type="button"
                                class="danger"
                                data-testid="revoke-secret"
                                onClick={() => onRevokeSecret(auth, secret)}
                                aria-label={`Revoke secret ${secret.id}`}
                              >
                                Revoke secret
                              </button>
                            </>
                          )}
                        </li>
                      ))}
                    </ul>
                    {auth.secrets.length < MAX_LIVE_CLIENT_SECRETS && (
                      <button type="button" data-testid="rotate-secret" onClick={() => onRotateSecret(auth)} aria-label={`Rotate the secret of ${auth.id}`}>
                        Rotate secret
                      </button>
                    )}
                  </>
                )}
                {auth.certificates && auth.certificates.length === 0 && <div>No certificate issued yet</div>}
                {auth.certificates && auth.certificates.length > 0 && (
                  <ul class="certificates">
                    {auth.certificates.map((certificate, _index, listed) => {
                      const origin = renewedFromName(certificate.renewedFrom, listed);
                      return (
                        <li
                          key={certificate.sha256Fingerprint}
                          data-testid="certificate"
                          data-serial={certificate.serialNumber}
                          data-revoked={String(certificate.revoked)}
                        >
                          Serial <code>{certificate.serialNumber}</code>, expires {formatTime(certificate.notAfter)}
                          {origin && (
                            <span data-testid="renewed-from">
                              , renewed from {origin.label} <code>{origin.value}</code>
                            </span>
                          )}
                          {certificate.revoked ? (
                            <strong class="revoked"> revoked</strong>
                          ) : (
                            <button
                              type="button"
                              class="danger"
                              data-testid="revoke-certificate"
                              onClick={() => onRevokeCertificate(auth, certificate)}
                              aria-label={`Revoke certificate ${certificate.serialNumber}`}
                            >
                              Revoke certificate
                            </button>
                          )}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </td>
              <td>
                {auth.status !== 'REVOKED' && (
                  <button type="button" class="danger" data-testid="revoke" onClick={() => onRevoke(auth)} aria-label={`Revoke credential ${auth.id}`}>
                    Revoke credential
                  </button>
                )}
              </td>
            </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
