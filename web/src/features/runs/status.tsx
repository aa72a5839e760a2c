import type { RunSummary } from '@csme/contracts/runs';
import { useTranslation } from 'react-i18next';
import { Badge } from '../../ui';

const TONES: Record<RunSummary['status'], 'ok' | 'warn' | 'danger' | 'info' | undefined> = {
  queued: 'info',
  running: 'info',
  succeeded: 'ok',
  failed: 'danger',
  cancelled: undefined,
  refused: 'warn',
};

export const isLive = (status: string) => status === 'queued' || status === 'running';

export function RunStatusBadge({ status }: { status: RunSummary['status'] }) {
  const { t } = useTranslation('runs');
  return <Badge tone={TONES[status]}>{t(`status.${status}`)}</Badge>;
}
