import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button, TextField } from '../../ui';

export type MonthRange = { from: string; to: string };

/** The months a report covers: edited as a draft, applied when the operator presses Show. */
export function MonthRangeForm({ value, onSubmit }: { value: MonthRange; onSubmit: (range: MonthRange) => void }) {
  const { t } = useTranslation('operators');
  const [draft, setDraft] = useState(value);
  return (
    <form
      className="row"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit(draft);
      }}
    >
      <TextField
        label={t('costs.from')}
        type="month"
        dir="ltr"
        value={draft.from}
        onChange={(e) => setDraft({ ...draft, from: e.target.value })}
      />
      <TextField
        label={t('costs.to')}
        type="month"
        dir="ltr"
        value={draft.to}
        onChange={(e) => setDraft({ ...draft, to: e.target.value })}
      />
      <Button type="submit">{t('costs.show')}</Button>
    </form>
  );
}
