import { useShellSession } from '../../app/outlet';
import { ConnectorsPage } from './ConnectorsPage';

/** The page with what it needs from the session: in a family space, connectors can be shared or private. */
export function ConnectorsRoute() {
  const session = useShellSession();
  return <ConnectorsPage family={session.activeSpace.kind === 'family'} />;
}
