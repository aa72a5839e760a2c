import { useTranslation } from 'react-i18next';
import { Badge } from '../../ui';

/** A scope in the person's language (the server's English label when this app has no words for it). */
export function useScopeLabel() {
  const { t } = useTranslation('packs');
  return (s: { scope: string; label: string }) => t(`scopes.${s.scope.replace(':', '_')}`, { defaultValue: s.label });
}

/** How much a scope lets the pack do: read, change, or act outside connectsoft.me. */
export function RiskBadge({ risk }: { risk: 'read' | 'write' | 'external' }) {
  const { t } = useTranslation('packs');
  return <Badge tone={risk === 'external' ? 'danger' : risk === 'write' ? 'warn' : 'info'}>{t(`risk.${risk}`)}</Badge>;
}
