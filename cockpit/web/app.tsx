// The page's frame: sign-in until there is a session, then the views chosen by the URL's hash.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Activity } from './activity';
import type { Session } from './api';
import { ApplicationDetail } from './application-detail';
import { Applications } from './applications';
import { SessionProvider, useDirector } from './session';
import { SignIn } from './sign-in';
import { GET_VIEWER, type Viewer } from './queries';

/** `#/applications/<id>` shows one application, `#/activity` the audit trail; anything else the list. */
function useRoute(): { appId: string | null; activity?: boolean } {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  if (hash === '#/activity') return { appId: null, activity: true };
  const match = /^#\/applications\/([^/]+)$/.exec(hash);
  if (!match) return { appId: null };
  try {
    return { appId: decodeURIComponent(match[1]) };
  } catch {
    // A malformed escape names no application: the detail view says it does not exist.
    return { appId: match[1] };
  }
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [signInNotice, setSignInNotice] = useState<string | null>(null);
  // Only the session that expired ends: a late refusal of an earlier session's request leaves a new one alone.
  const current = useRef<Session | null>(null);
  current.current = session;
  const expire = useCallback((expired: Session, message: string) => {
    if (current.current !== expired) return;
    setSession(null);
    setSignInNotice(message);
  }, []);
  const signOut = () => {
    setSession(null);
    setSignInNotice('You have signed out.');
    location.hash = '#/';
  };

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
    <SessionProvider session={session} onExpired={expire}>
      <SignedIn onSignOut={signOut} />
    </SessionProvider>
  );
}

function SignedIn({ onSignOut }: { onSignOut: () => void }) {
  const call = useDirector();
  const { appId, activity } = useRoute();
  const [viewer, setViewer] = useState<Viewer['viewer'] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    // Only the header's "who am I" line: without it the page still works, so a failure just leaves it empty.
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
        <nav class="views" aria-label="Views">
          <a href="#/" data-testid="nav-applications">
            Applications
          </a>
          <a href="#/activity" data-testid="nav-activity">
            Activity
          </a>
        </nav>
        <span class="who" data-testid="viewer">
          {viewer ? `Tenant ${viewer.tenant} · administrator ${viewer.id}` : ''}
        </span>
        <button type="button" data-testid="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {activity ? (
        <Activity />
      ) : appId ? (
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
