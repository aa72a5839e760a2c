import { useQueryClient } from '@tanstack/react-query';

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
