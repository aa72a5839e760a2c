import { useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';

/**
 * A function that marks the cached queries under these first keys stale, so that what shows them fetches again.
 * Its promise settles when they have, so a mutation's onSuccess that returns it stays busy until the list is fresh.
 */
export function useInvalidate(...keys: string[]): () => Promise<void> {
  const qc = useQueryClient();
  return async () => {
    await Promise.all(keys.map((key) => qc.invalidateQueries({ queryKey: [key] })));
  };
}

/**
 * Which of two tabs is open, kept in the address as ?tab=<second> (the first has no parameter), so that a reload,
 * the back button or a shared link opens the same tab. Switching replaces the history entry rather than adding one.
 */
export function useTabParam<A extends string, B extends string>(first: A, second: B): [A | B, (tab: A | B) => void] {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === second ? second : first;
  return [tab, (next) => setParams(next === second ? { tab: second } : {}, { replace: true })];
}
