// Pairing: choose a type from getAuthTypesForApplication, generate the data, and show it to hand over.
import { useEffect, useRef, useState } from 'preact/hooks';
import { DIRECTOR_PATH, SessionExpiredError } from './api';
import { clientCredentialsCommands } from './commands';
import { handoffBundle, pageHandoffSettings } from './handoff';
import { CopyableValue, ErrorText, messageOf, useNow } from './controls';
import { authTypeName, formatCountdown, formatTime } from './format';
import { GENERATE_AUTH, GET_AUTH_TYPES, type AuthType, type JsonSchema, type PairingAuthResult } from './queries';
import { useDirector, useDirectorQuery } from './session';

/**
 * Choices the Director grants whatever is asked (the contract: every application client has application:read):
 * shown checked and fixed, so the form says what the credential will hold.
 */
const ALWAYS_GRANTED: Readonly<Record<string, readonly string[]>> = { scopes: ['application:read'] };

/** The inputParams a form can offer: properties that are lists of fixed choices (e.g. OAuth scopes). */
function choiceParams(schema: JsonSchema): [string, JsonSchema, string[]][] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
    property.type === 'array' && property.items?.enum ? [[name, property, property.items.enum.map(String)] as [string, JsonSchema, string[]]] : [],
  );
}

/** The inputParams a form takes as pasted text (e.g. a PRIVATE_KEY_JWT client's public key). */
function textParams(schema: JsonSchema): [string, JsonSchema][] {
  return Object.entries(schema.properties ?? {}).filter(([, property]) => property.type === 'string');
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
  const [texts, setTexts] = useState<Record<string, string>>({});
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
    const inputParams: Record<string, string[] | string> = {};
    for (const [name] of choiceParams(type.inputParams)) if (choices[name]?.length) inputParams[name] = choices[name];
    for (const [name] of textParams(type.inputParams)) if (texts[name]?.trim()) inputParams[name] = texts[name];
    try {
      const answer = await call<{ generateAuthForApplication: PairingAuthResult }>(GENERATE_AUTH, { id: appId, type: type.type, inputParams });
      setChoices({});
      setTexts({});
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
            {values.map((value) => {
              const always = ALWAYS_GRANTED[name]?.includes(value) ?? false;
              return (
                <label key={value} class="choice">
                  <input
                    type="checkbox"
                    data-testid={`choice-${value}`}
                    checked={always || (choices[name]?.includes(value) ?? false)}
                    disabled={always}
                    onChange={(event) => toggle(name, value, event.currentTarget.checked)}
                  />{' '}
                  <code>{value}</code>
                  {always && <span class="hint"> (always granted)</span>}
                </label>
              );
            })}
          </fieldset>
        ))}
      {type &&
        textParams(type.inputParams).map(([name, property]) => (
          <div key={`${type.type}-${name}`} class="field">
            <label for={`pair-param-${name}`}>{property.description ?? name}</label>
            <textarea
              id={`pair-param-${name}`}
              data-testid={`param-input-${name}`}
              rows={6}
              spellcheck={false}
              autocomplete="off"
              required={type.inputParams.required?.includes(name) ?? false}
              value={texts[name] ?? ''}
              onInput={(event) => setTexts({ ...texts, [name]: event.currentTarget.value })}
            />
          </div>
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
        <OneTimeToken result={result} />
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
        <CopyableValue label="Director URL (send the access token as Authorization: Bearer)" value={DIRECTOR_PATH} testId="param-directorUrl" />
        <CopyableValue
          label="Application side (bash, curl, jq): a token, then a Director call with it"
          value={clientCredentialsCommands({ clientId, tokenUrl, directorUrl: DIRECTOR_PATH })}
          testId="param-commands"
          multiline
        />
      </dl>
    </>
  );
}

function OneTimeToken({ result }: { result: PairingAuthResult }) {
  const now = useNow();
  const { params } = result;
  const token = text(params.token);
  const connectorURL = text(params.connectorURL);
  const deadline = Date.parse(result.expiresAt ?? text(params.expiresAt));
  const countdown = formatCountdown(deadline, now);
  const bundle = handoffBundle(result, pageHandoffSettings());
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
      <p class="hint">
        Hand the application the bundle below (it holds everything else on this card). With it, the application redeems the token at the
        Connector, has its own key's CSR signed, and from then on calls over mTLS with that certificate: with the pairing agent, or by hand
        with the script.
      </p>
      <dl>
        <CopyableValue label="Handoff bundle (save as pairing.json)" value={JSON.stringify(bundle, null, 2)} testId="param-bundle" multiline />
        <CopyableValue label="With the pairing agent (on the application's machine)" value={bundle.agent} testId="param-agent" multiline />
        <CopyableValue label="By hand, step by step (bash, curl, openssl, jq): from the token to a call over mTLS" value={bundle.script} testId="param-commands" multiline />
        <CopyableValue label="One-time token" value={token} testId="param-token" />
        <CopyableValue label="Connector URL (where the token is redeemed)" value={connectorURL} testId="param-connectorURL" />
        <CopyableValue label="mTLS endpoint (the calls with the certificate)" value={bundle.mtlsURL ?? 'none: this stage has no mTLS domain'} testId="param-mtlsURL" />
        {bundle.serverCA ? (
          <CopyableValue label="Server CA of the mTLS endpoint (trust it for the mTLS calls)" value={bundle.serverCA} testId="param-serverCA" multiline />
        ) : (
          <div class="copyable">
            <dt>Server CA of the mTLS endpoint</dt>
            <dd data-testid="param-serverCA">publicly trusted: nothing to hand over</dd>
          </div>
        )}
        <CopyableValue
          label="rawEncoded (token, Connector URL and expiry in one base64 string, for Compass-style clients; the pairing agent takes it too)"
          value={text(params.rawEncoded)}
          testId="param-rawEncoded"
        />
      </dl>
    </>
  );
}
