// The signed-in administrator's session, shared by every view: the token lives in memory only.
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { director, SessionExpiredError, type Session } from './api';
import { messageOf } from './controls';

export interface DirectorCall {
  <T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const DirectorContext = createContext<DirectorCall | null>(null);

/** The Director as the signed-in administrator; a refused token ends the session. */
export function useDirector(): DirectorCall {
  const call = useContext(DirectorContext);
  if (!call) throw new Error('useDirector is used outside a signed-in session');
  return call;
}

interface SessionProviderProps {
  session: Session;
  /** Called once the token has expired or been refused, with the message the sign-in page shows. */
  onExpired: (session: Session, message: string) => void;
  children: ComponentChildren;
}

export function SessionProvider({ session, onExpired, children }: SessionProviderProps) {
  useEffect(() => {
    // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days), so a longer lifetime is capped; the
    // next Director call then notices the expiry instead (director() checks it before sending).
    const delay = Math.min(Math.max(0, session.expiresAt - Date.now()), MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => {
      if (Date.now() >= session.expiresAt) onExpired(session, new SessionExpiredError().message);
    }, delay);
    return () => clearTimeout(timer);
  }, [session, onExpired]);

  const call = useMemo<DirectorCall>(
    () =>
      async <T,>(query: string, variables?: Record<string, unknown>) => {
        try {
          return await director<T>(session, query, variables);
        } catch (error) {
          if (error instanceof SessionExpiredError) onExpired(session, error.message);
          throw error;
        }
      },
    [session, onExpired],
  );
  return <DirectorContext.Provider value={call}>{children}</DirectorContext.Provider>;
}

export interface DirectorQuery<T> {
  /** The answer to the latest request, with the variables it was asked with; undefined until one arrives. */
  loaded?: { data: T; variables: Record<string, unknown> };
  error: string | null;
  loading: boolean;
  /** Asks again with the same variables (after a change the view made). */
  reload: () => Promise<void>;
}

/**
 * Runs a query whenever its variables change. Only the latest request counts: an answer overtaken by a
 * newer request (a double click, Next then Previous on a slow network) is dropped, never shown.
 */
export function useDirectorQuery<T>(query: string, variables: Record<string, unknown>): DirectorQuery<T> {
  const call = useDirector();
  const latest = useRef(0);
  const [state, setState] = useState<Omit<DirectorQuery<T>, 'reload'>>({ error: null, loading: true });
  const key = JSON.stringify(variables);

  const reload = useCallback(async () => {
    const request = ++latest.current;
    const asked = JSON.parse(key) as Record<string, unknown>;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await call<T>(query, asked);
      if (request === latest.current) setState({ loaded: { data, variables: asked }, error: null, loading: false });
    } catch (failure) {
      if (request !== latest.current || failure instanceof SessionExpiredError) return;
      setState((previous) => ({ ...previous, error: messageOf(failure), loading: false }));
    }
  }, [call, query, key]);

  useEffect(() => {
    void reload();
  }, [reload]);
  return { ...state, reload };
}
