// The signed-in administrator's session, shared by every view: the token lives in memory only.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo } from 'preact/hooks';
import { director, SessionExpiredError, type Session } from './api';

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
  onExpired: (message: string) => void;
  children: ComponentChildren;
}

export function SessionProvider({ session, onExpired, children }: SessionProviderProps) {
  useEffect(() => {
    // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days), so a longer lifetime is capped; the
    // next Director call then notices the expiry instead (director() checks it before sending).
    const delay = Math.min(Math.max(0, session.expiresAt - Date.now()), MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => {
      if (Date.now() >= session.expiresAt) onExpired(new SessionExpiredError().message);
    }, delay);
    return () => clearTimeout(timer);
  }, [session, onExpired]);

  const call = useMemo<DirectorCall>(
    () =>
      async <T,>(query: string, variables?: Record<string, unknown>) => {
        try {
          return await director<T>(session, query, variables);
        } catch (error) {
          if (error instanceof SessionExpiredError) onExpired(error.message);
          throw error;
        }
      },
    [session, onExpired],
  );
  return <DirectorContext.Provider value={call}>{children}</DirectorContext.Provider>;
}
