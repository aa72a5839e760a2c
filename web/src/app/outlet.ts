import type { SessionView } from '@csme/contracts/accounts';
import { useOutletContext } from 'react-router';

/** The session of the signed-in shell, for pages inside it. */
export const useShellSession = () => useOutletContext<SessionView>();
