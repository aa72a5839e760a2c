import type { SuggestionView } from '@csme/contracts/suggestions';
import { useTranslation } from 'react-i18next';
import { Badge } from '../../ui';

const TONES: Record<SuggestionView['status'], 'ok' | 'warn' | 'danger' | 'info' | undefined> = {
  pending: 'info',
  approved: 'info',
  executing: 'info',
  done: 'ok',
  failed: 'danger',
  unknown: 'warn',
  rejected: undefined,
  expired: undefined,
  dismissed: undefined,
};

export function SuggestionStatusBadge({ status }: { status: SuggestionView['status'] }) {
  const { t } = useTranslation('suggestions');
  return <Badge tone={TONES[status]}>{t(`status.${status}`)}</Badge>;
}
