import type { InstallationView } from '@csme/contracts/packs';
import { useTranslation } from 'react-i18next';
import { Badge } from '../../ui';

export function InstallationStatus({ inst }: { inst: Pick<InstallationView, 'status' | 'pausedReason'> }) {
  const { t } = useTranslation('packs');
  if (inst.status === 'active') return <Badge tone="ok">{t('status.active')}</Badge>;
  if (inst.status === 'uninstalled') return <Badge>{t('status.uninstalled')}</Badge>;
  return <Badge tone="warn">{inst.pausedReason === 'plan_limit' ? t('status.pausedPlan') : t('status.paused')}</Badge>;
}
