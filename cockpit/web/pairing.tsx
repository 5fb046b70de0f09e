// Pairing: choose a type from getAuthTypesForApplication, generate the data, and show it to hand over. Every word about a
// type comes from the Director (its presentation); what the page adds follows the params' shape (API.md section 4), never a type's name.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { DIRECTOR_PATH, SessionExpiredError } from './api';
import { clientCredentialsCommands } from './commands';
import { handoffBundle, pageHandoffSettings } from './handoff';
import { CopyableValue, ErrorText, messageOf, useNow } from './controls';
import { formatCountdown, formatTime } from './format';
import { GENERATE_AUTH, GET_AUTH_TYPES, type AuthType, type JsonSchema, type PairingAuthResult, type Presentation } from './queries';
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

/**
 * The inputParams of these JSON types, with their schemas: a form takes 'string' as pasted text (e.g. a public key),
 * 'integer' and 'number' in a number field (e.g. an outside adapter's lifetime in seconds), 'boolean' as a checkbox.
 */
function paramsOfType(schema: JsonSchema, ...types: string[]): [string, JsonSchema][] {
  return Object.entries(schema.properties ?? {}).filter(([, property]) => property.type !== undefined && types.includes(property.type));
}

/** An inputParam in the words of its type's presentation if it names it, else its schema's description, else its name. */
const inputLabel = (type: AuthType, name: string, property: JsonSchema): string =>
  type.presentation.inputParams.find((param) => param.name === name)?.label ?? property.description ?? name;

/** A labelled field of the form: the label above its input (whose id is `pair-param-<name>`). */
function ParamField({ type, name, property, children }: { type: AuthType; name: string; property: JsonSchema; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={`pair-param-${name}`}>{inputLabel(type, name, property)}</label>
      {children}
    </div>
  );
}

/** Pairing data just generated, with the words of its type. */
export interface Paired {
  result: PairingAuthResult;
  presentation: Presentation;
}

interface PairFormProps {
  appId: string;
  onPaired: (paired: Paired) => void;
}

export function PairForm({ appId, onPaired }: PairFormProps) {
  const call = useDirector();
  const authTypes = useDirectorQuery<{ getAuthTypesForApplication: AuthType[] }>(GET_AUTH_TYPES, { id: appId });
  const types = authTypes.loaded?.data.getAuthTypesForApplication;
  const [chosen, setChosen] = useState<string | null>(null);
  const selected = chosen ?? types?.[0]?.type ?? '';
  const [choices, setChoices] = useState<Record<string, string[]>>({});
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [flags, setFlags] = useState<Record<string, boolean>>({});
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
    const inputParams: Record<string, string[] | string | number | boolean> = {};
    for (const [name] of choiceParams(type.inputParams)) if (choices[name]?.length) inputParams[name] = choices[name];
    for (const [name] of paramsOfType(type.inputParams, 'string')) if (texts[name]?.trim()) inputParams[name] = texts[name];
    // As typed: the Director checks the value against the schema and names what is wrong.
    for (const [name] of paramsOfType(type.inputParams, 'integer', 'number')) if (texts[name]?.trim()) inputParams[name] = Number(texts[name]);
    // A required yes-or-no is always sent (false when unticked); an optional one only when ticked.
    for (const [name] of paramsOfType(type.inputParams, 'boolean')) if (flags[name] || type.inputParams.required?.includes(name)) inputParams[name] = flags[name] ?? false;
    try {
      const answer = await call<{ generateAuthForApplication: PairingAuthResult }>(GENERATE_AUTH, { id: appId, type: type.type, inputParams });
      setChoices({});
      setTexts({});
      setFlags({});
      onPaired({ result: answer.generateAuthForApplication, presentation: type.presentation });
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
            {option.presentation.label}
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
        paramsOfType(type.inputParams, 'string').map(([name, property]) => (
          <ParamField key={`${type.type}-${name}`} type={type} name={name} property={property}>
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
          </ParamField>
        ))}
      {type &&
        paramsOfType(type.inputParams, 'integer', 'number').map(([name, property]) => (
          <ParamField key={`${type.type}-${name}`} type={type} name={name} property={property}>
            <input
              id={`pair-param-${name}`}
              data-testid={`param-input-${name}`}
              type="number"
              step={property.type === 'integer' ? 1 : 'any'}
              min={property.minimum}
              max={property.maximum}
              required={type.inputParams.required?.includes(name) ?? false}
              value={texts[name] ?? ''}
              onInput={(event) => setTexts({ ...texts, [name]: event.currentTarget.value })}
            />
          </ParamField>
        ))}
      {type &&
        paramsOfType(type.inputParams, 'boolean').map(([name, property]) => (
          <label key={`${type.type}-${name}`} class="choice">
            <input
              type="checkbox"
              data-testid={`param-input-${name}`}
              checked={flags[name] ?? false}
              onChange={(event) => setFlags({ ...flags, [name]: event.currentTarget.checked })}
            />{' '}
            {inputLabel(type, name, property)}
          </label>
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

/** A param as one line of text: a list of words (scopes) space-separated, anything else not a string as JSON. */
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value === undefined || value === null
      ? ''
      : Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? value.join(' ')
        : JSON.stringify(value);

/** The params in the order and words the type's presentation gives, then any it does not name, by name. */
function labelledParams(params: Record<string, unknown>, presentation: Presentation): { name: string; label: string; value: unknown }[] {
  const named = presentation.params.filter(({ name }) => name in params).map(({ name, label }) => ({ name, label, value: params[name] }));
  const rest = Object.keys(params).filter((name) => !presentation.params.some((param) => param.name === name));
  return [...named, ...rest.map((name) => ({ name, label: name, value: params[name] }))];
}

/** Client credentials (a secret and a token URL): the application's commands, a token and then a Director call with it. */
const hasClientCredentials = (params: Record<string, unknown>): boolean => typeof params.clientSecret === 'string' && typeof params.tokenUrl === 'string';

/** A one-time token for the Connector: its countdown and the handoff bundle for the pairing agent or the script. */
const hasConnectorToken = (params: Record<string, unknown>): boolean => typeof params.token === 'string' && typeof params.connectorURL === 'string';

/** The pairing data to hand to the application, with copy buttons and the commands it runs. */
export function PairingParams({ paired, onDone }: { paired: Paired; onDone: () => void }) {
  const { result, presentation } = paired;
  const { params } = result;
  // The form that had the focus is gone: the data that replaced it takes it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="card pairing-params" aria-labelledby="pairing-params-title" data-testid="pairing-params" data-type={result.type}>
      <h3 id="pairing-params-title" ref={heading} tabIndex={-1}>
        Pairing data: {presentation.label}
      </h3>
      {presentation.handoverWarning && (
        <p class="warning" role="alert">
          {presentation.handoverWarning}
        </p>
      )}
      {hasConnectorToken(params) && <OneTimeToken result={result} />}
      <dl>
        {labelledParams(params, presentation).map(({ name, label, value }) => (
          <CopyableValue key={name} label={label} value={text(value)} testId={`param-${name}`} />
        ))}
        {hasClientCredentials(params) && <ClientCredentials params={params} />}
        {hasConnectorToken(params) && <MtlsEndpoint result={result} />}
      </dl>
      <button type="button" onClick={onDone} data-testid="pairing-done">
        Done, I have handed it over
      </button>
    </section>
  );
}

function ClientCredentials({ params }: { params: Record<string, unknown> }) {
  const clientId = text(params.clientId);
  const tokenUrl = text(params.tokenUrl);
  return (
    <>
      <CopyableValue label="Director URL (send the access token as Authorization: Bearer)" value={DIRECTOR_PATH} testId="param-directorUrl" />
      <CopyableValue
        label="Application side (bash, curl, jq): a token, then a Director call with it"
        value={clientCredentialsCommands({ clientId, tokenUrl, directorUrl: DIRECTOR_PATH })}
        testId="param-commands"
        multiline
      />
    </>
  );
}

/** The token's countdown and the handoff bundle (the params follow it on the card). */
function OneTimeToken({ result }: { result: PairingAuthResult }) {
  const now = useNow();
  const { params } = result;
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
      </dl>
    </>
  );
}

/** Where the certificate a Connector token leads to is used: the mTLS endpoint and the CA its server certificate chains to. */
function MtlsEndpoint({ result }: { result: PairingAuthResult }) {
  const bundle = handoffBundle(result, pageHandoffSettings());
  return (
    <>
      <CopyableValue label="mTLS endpoint (the calls with the certificate)" value={bundle.mtlsURL ?? 'none: this stage has no mTLS domain'} testId="param-mtlsURL" />
      {bundle.serverCA ? (
        <CopyableValue label="Server CA of the mTLS endpoint (trust it for the mTLS calls)" value={bundle.serverCA} testId="param-serverCA" multiline />
      ) : (
        <div class="copyable">
          <dt>Server CA of the mTLS endpoint</dt>
          <dd data-testid="param-serverCA">publicly trusted: nothing to hand over</dd>
        </div>
      )}
    </>
  );
}
