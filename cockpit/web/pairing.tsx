// Pairing: choose a type from getAuthTypesForApplication, generate the data, and show it to hand over.
import { useEffect, useRef, useState } from 'preact/hooks';
import { SessionExpiredError } from './api';
import { clientCertificateCommands, clientCredentialsCommands } from './commands';
import { CopyableValue, ErrorText, messageOf, useNow } from './controls';
import { authTypeName, formatCountdown, formatTime } from './format';
import { GENERATE_AUTH, GET_AUTH_TYPES, type AuthType, type JsonSchema, type PairingAuthResult } from './queries';
import { useDirector, useDirectorQuery } from './session';

/** The inputParams a form can offer: properties that are lists of fixed choices (e.g. OAuth scopes). */
function choiceParams(schema: JsonSchema): [string, JsonSchema, string[]][] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
    property.type === 'array' && property.items?.enum ? [[name, property, property.items.enum.map(String)] as [string, JsonSchema, string[]]] : [],
  );
}

interface PairFormProps {
  appId: string;
  onPaired: (result: PairingAuthResult) => void;
}

export function PairForm({ appId, onPaired }: PairFormProps) {
  const call = useDirector();
  const authTypes = useDirectorQuery<{ getAuthTypesForApplication: AuthType[] }>(GET_AUTH_TYPES, { id: appId });
  const types = authTypes.loaded?.data.getAuthTypesForApplication;
  const [chosen, setChosen] = useState<string | null>(null);
  const selected = chosen ?? types?.[0]?.type ?? '';
  const [choices, setChoices] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const type = types?.find((candidate) => candidate.type === selected);
  const toggle = (param: string, value: string, on: boolean) => {
    const current = choices[param] ?? [];
    setChoices({ ...choices, [param]: on ? [...current, value] : current.filter((item) => item !== value) });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!type || busy) return;
    setBusy(true);
    setError(null);
    const inputParams: Record<string, string[]> = {};
    for (const [name] of choiceParams(type.inputParams)) if (choices[name]?.length) inputParams[name] = choices[name];
    try {
      const answer = await call<{ generateAuthForApplication: PairingAuthResult }>(GENERATE_AUTH, { id: appId, type: type.type, inputParams });
      setChoices({});
      onPaired(answer.generateAuthForApplication);
    } catch (failure) {
      if (!(failure instanceof SessionExpiredError)) setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} class="pair-form">
      <label for="pair-type">Pairing type</label>
      <select id="pair-type" data-testid="pair-type" value={selected} onChange={(event) => setChosen(event.currentTarget.value)} disabled={!types}>
        {(types ?? []).map((option) => (
          <option key={option.type} value={option.type}>
            {authTypeName(option.type)}
          </option>
        ))}
      </select>
      {type && <p class="hint">{type.description}</p>}
      {type &&
        choiceParams(type.inputParams).map(([name, property, values]) => (
          <fieldset key={`${type.type}-${name}`}>
            <legend>{property.description ?? name}</legend>
            {values.map((value) => (
              <label key={value} class="choice">
                <input type="checkbox" checked={choices[name]?.includes(value) ?? false} onChange={(event) => toggle(name, value, event.currentTarget.checked)} />{' '}
                <code>{value}</code>
              </label>
            ))}
          </fieldset>
        ))}
      <ErrorText testId="pair-error" message={error ?? authTypes.error} />
      {!types && authTypes.error && (
        <button type="button" onClick={() => void authTypes.reload()}>
          Try again
        </button>
      )}
      <button type="submit" class="primary" data-testid="pair-submit" disabled={!type} aria-disabled={busy}>
        {busy ? 'Generating…' : 'Generate pairing data'}
      </button>
    </form>
  );
}

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));

/** The pairing data to hand to the application, with copy buttons and the commands it runs. */
export function PairingParams({ result, onDone }: { result: PairingAuthResult; onDone: () => void }) {
  const { params } = result;
  // The form that had the focus is gone: the data that replaced it takes it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="card pairing-params" aria-labelledby="pairing-params-title" data-testid="pairing-params" data-type={result.type}>
      <h3 id="pairing-params-title" ref={heading} tabIndex={-1}>
        Pairing data: {authTypeName(result.type)}
      </h3>
      {result.type === 'OAUTH2_CLIENT_CREDENTIALS' ? (
        <ClientCredentials params={params} />
      ) : result.type === 'CLIENT_CERTIFICATE' ? (
        <OneTimeToken params={params} expiresAt={result.expiresAt} />
      ) : (
        <dl>
          {Object.entries(params).map(([name, value]) => (
            <CopyableValue key={name} label={name} value={text(value)} testId={`param-${name}`} />
          ))}
        </dl>
      )}
      <button type="button" onClick={onDone} data-testid="pairing-done">
        Done, I have handed it over
      </button>
    </section>
  );
}

function ClientCredentials({ params }: { params: Record<string, unknown> }) {
  const clientId = text(params.clientId);
  const clientSecret = text(params.clientSecret);
  const tokenUrl = text(params.tokenUrl);
  return (
    <>
      <p class="warning" role="alert">
        The client secret is shown once, now. Copy it and hand it to the application over a secure channel: nobody can read it again, and a
        lost secret means pairing again.
      </p>
      <dl>
        <CopyableValue label="Client id" value={clientId} testId="param-clientId" />
        <CopyableValue label="Client secret" value={clientSecret} testId="param-clientSecret" />
        <CopyableValue label="Token URL" value={tokenUrl} testId="param-tokenUrl" />
        <CopyableValue label="Scopes" value={Array.isArray(params.scopes) ? params.scopes.join(' ') : ''} testId="param-scopes" />
        <CopyableValue label="Application side (curl)" value={clientCredentialsCommands({ clientId, tokenUrl })} testId="param-commands" multiline />
      </dl>
    </>
  );
}

function OneTimeToken({ params, expiresAt }: { params: Record<string, unknown>; expiresAt: string | null }) {
  const now = useNow();
  const token = text(params.token);
  const connectorURL = text(params.connectorURL);
  const deadline = Date.parse(expiresAt ?? text(params.expiresAt));
  const countdown = formatCountdown(deadline, now);
  return (
    <>
      {Number.isNaN(deadline) ? null : (
        <p class={countdown === 'expired' ? 'warning' : 'notice'}>
          The one-time token works once, until {formatTime(new Date(deadline).toISOString())}:{' '}
          <strong data-testid="token-countdown" aria-live="off">
            {countdown === 'expired' ? 'expired, pair again' : `${countdown} left`}
          </strong>
          .
        </p>
      )}
      <dl>
        <CopyableValue label="One-time token" value={token} testId="param-token" />
        <CopyableValue label="Connector URL" value={connectorURL} testId="param-connectorURL" />
        <CopyableValue label="rawEncoded (token, URL and expiry in one string)" value={text(params.rawEncoded)} testId="param-rawEncoded" />
        <CopyableValue label="Application side (bash, curl, openssl, jq)" value={clientCertificateCommands({ token, connectorURL })} testId="param-commands" multiline />
      </dl>
    </>
  );
}
