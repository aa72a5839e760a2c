import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { Alert, Button } from '../ui';

/** The message a person reads for a failed call: translated for transport and server faults, the server's words otherwise. */
export function useErrorText() {
  const { t } = useTranslation();
  return (e: unknown): string => {
    if (e instanceof ApiError) {
      if (e.code === 'network') return t('errors.network');
      if (e.code === 'internal') return t('errors.internal');
      if (e.code === 'unavailable') return t('errors.unavailable');
      return e.message;
    }
    return e instanceof Error && e.message ? e.message : t('errors.internal');
  };
}

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const text = useErrorText();
  const { t } = useTranslation();
  return (
    <Alert tone="error">
      <span>{text(error)}</span>{' '}
      {onRetry ? (
        <Button size="small" onClick={onRetry}>
          {t('retry')}
        </Button>
      ) : null}
    </Alert>
  );
}
