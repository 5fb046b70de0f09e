// Sign-in: an administrator's OAuth client id and secret, exchanged for an access token kept in memory.
import { useEffect, useState } from 'preact/hooks';
import { signIn, type Session } from './api';
import { ErrorText, messageOf } from './controls';

interface SignInProps {
  /** Why the user is here again (e.g. the session expired), shown above the form. */
  notice: string | null;
  onSignedIn: (session: Session) => void;
}

export function SignIn({ notice, onSignedIn }: SignInProps) {
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = 'Sign in · Cockpit';
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(clientId.trim(), clientSecret));
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Cockpit</h1>
      <p class="lead">Register applications and hand them the credentials to pair with the platform.</p>
      {notice && (
        <p class="notice" role="status" data-testid="sign-in-notice">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label for="client-id">Administrator client id</label>
        <input
          id="client-id"
          data-testid="client-id"
          autocomplete="off"
          required
          value={clientId}
          onInput={(event) => setClientId(event.currentTarget.value)}
        />
        <label for="client-secret">Client secret</label>
        <input
          id="client-secret"
          data-testid="client-secret"
          type="password"
          autocomplete="off"
          required
          value={clientSecret}
          onInput={(event) => setClientSecret(event.currentTarget.value)}
        />
        <ErrorText id="sign-in-error" testId="sign-in-error" message={error} />
        <button type="submit" class="primary" data-testid="sign-in" aria-disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        Locally, <code>npm start</code> writes an administrator to <code>.local/admin.json</code>; elsewhere{' '}
        <code>npm run admin -- create --tenant &lt;name&gt;</code> makes one. The token is kept in this tab's memory only.
      </p>
    </main>
  );
}
