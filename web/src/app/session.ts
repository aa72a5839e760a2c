import type { SessionView } from '@csme/contracts/accounts';
import { getSession } from '@csme/contracts/accounts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, setCsrfToken } from '../api/client';

export const SESSION_KEY = ['session'] as const;

/** The signed-in person and their spaces; null when signed out. */
export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<SessionView | null> => {
      try {
        const s = await api(getSession);
        setCsrfToken(s.csrfToken);
        return s;
      } catch (e) {
        if (e instanceof ApiError && e.code === 'unauthenticated') {
          setCsrfToken(null);
          return null;
        }
        throw e;
      }
    },
    staleTime: 60_000,
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
  });
}

/** Puts a session the server just returned (sign-in, sign-up, space switch) into the cache. */
export function useSetSession() {
  const qc = useQueryClient();
  return (s: SessionView | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    qc.setQueryData(SESSION_KEY, s);
    // Everything else belongs to the previous person or space.
    void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
  };
}
