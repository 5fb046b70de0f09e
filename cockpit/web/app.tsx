// The page's frame: sign-in until there is a session, then the views chosen by the URL's hash.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Session } from './api';
import { ApplicationDetail } from './application-detail';
import { Applications } from './applications';
import { SessionProvider, useDirector } from './session';
import { SignIn } from './sign-in';
import { GET_VIEWER, type Viewer } from './queries';

/** `#/applications/<id>` shows one application; anything else the list. */
function useRoute(): { appId: string | null } {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  const match = /^#\/applications\/([^/]+)$/.exec(hash);
  return { appId: match ? decodeURIComponent(match[1]) : null };
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [signInNotice, setSignInNotice] = useState<string | null>(null);
  const signOut = useCallback((message: string | null) => {
    setSession(null);
    setSignInNotice(message);
  }, []);

  if (!session) {
    return (
      <SignIn
        notice={signInNotice}
        onSignedIn={(signedIn) => {
          setSignInNotice(null);
          setSession(signedIn);
        }}
      />
    );
  }
  return (
    <SessionProvider session={session} onExpired={signOut}>
      <SignedIn onSignOut={() => signOut('You have signed out.')} />
    </SessionProvider>
  );
}

function SignedIn({ onSignOut }: { onSignOut: () => void }) {
  const call = useDirector();
  const { appId } = useRoute();
  const [viewer, setViewer] = useState<Viewer['viewer'] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    call<Viewer>(GET_VIEWER).then((answer) => setViewer(answer.viewer), () => undefined);
  }, [call]);
  useEffect(() => {
    // A message belongs to the view it was written for.
    if (appId) setNotice(null);
  }, [appId]);

  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          Cockpit
        </a>
        <span class="who" data-testid="viewer">
          {viewer ? `Tenant ${viewer.tenant} · administrator ${viewer.id}` : ''}
        </span>
        <button type="button" data-testid="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {appId ? (
        <ApplicationDetail
          key={appId}
          appId={appId}
          onUnregistered={(message) => {
            setNotice(message);
            location.hash = '#/';
          }}
        />
      ) : (
        <Applications notice={notice} />
      )}
    </>
  );
}
