import { listSettings, type SettingView, updateSetting } from '@csme/contracts/admin';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, PageHeader, SelectField, Spinner, TextArea, TextField } from '../../ui';
import { formatDate } from './format';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  description?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
};

/** The field kind a JSON Schema property gets: a checkbox, a choice, a number, a text, or JSON for anything structured. */
function kindOf(s: Schema): { kind: 'boolean' | 'enum' | 'number' | 'text' | 'json'; nullable: boolean; options?: unknown[] } {
  const parts = s.anyOf ?? [s];
  const nullable = parts.some((p) => p.type === 'null' || (Array.isArray(p.type) && p.type.includes('null')));
  const main = parts.find((p) => p.type !== 'null') ?? s;
  const type = Array.isArray(main.type) ? main.type.find((x) => x !== 'null') : main.type;
  if (main.enum) return { kind: 'enum', nullable, options: main.enum };
  if (type === 'boolean') return { kind: 'boolean', nullable };
  if (type === 'integer' || type === 'number') return { kind: 'number', nullable };
  if (type === 'string') return { kind: 'text', nullable };
  return { kind: 'json', nullable };
}

const initial = (v: unknown, kind: string) =>
  kind === 'boolean' ? Boolean(v) : kind === 'json' ? JSON.stringify(v ?? null, null, 2) : v === null || v === undefined ? '' : String(v);

function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className="row">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

/** One instance setting as a form generated from its JSON Schema; secrets are write-only. */
function SettingForm({ setting }: { setting: SettingView }) {
  const { t, i18n } = useTranslation('operators');
  const qc = useQueryClient();
  const props = (setting.schema as Schema).properties ?? {};
  const [form, setForm] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(
      Object.entries(props).map(([k, s]) => [k, setting.secretFields.includes(k) ? '' : initial(setting.value[k], kindOf(s).kind)]),
    ),
  );
  const [clear, setClear] = useState<Record<string, boolean>>({});
  const [jsonError, setJsonError] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (value: Record<string, unknown>) => api(updateSetting, { params: { key: setting.key }, body: { value } }),
    onSuccess: async () => {
      setClear({});
      // Secrets are write-only: the field empties once stored.
      setForm((f) => ({ ...f, ...Object.fromEntries(setting.secretFields.map((k) => [k, ''])) }));
      await qc.invalidateQueries({ queryKey: ['admin-settings'] });
    },
  });
  const serverErrors: Record<string, string> = {};
  if (save.error instanceof ApiError)
    for (const i of (save.error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [])
      serverErrors[i.path.replace(/^value\./, '').split('.')[0] ?? ''] = i.message;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const [k, s] of Object.entries(props)) {
      const { kind, nullable } = kindOf(s);
      const raw = form[k];
      if (setting.secretFields.includes(k)) {
        if (clear[k]) value[k] = null;
        else if (typeof raw === 'string' && raw) value[k] = raw;
        continue;
      }
      if (kind === 'boolean') value[k] = raw;
      else if (kind === 'number') value[k] = raw === '' && nullable ? null : Number(raw);
      else if (kind === 'json') {
        try {
          value[k] = JSON.parse(String(raw));
        } catch {
          errors[k] = t('settings.badJson');
        }
      } else value[k] = raw === '' && nullable ? null : raw;
    }
    setJsonError(errors);
    if (!Object.keys(errors).length) save.mutate(value);
  };
  return (
    <Card title={<span id={setting.key}>{t(`settings.names.${setting.key}`, { defaultValue: setting.key })}</span>}>
      <p className="muted">{setting.description}</p>
      <form className="stack" noValidate onSubmit={submit}>
        {save.isSuccess ? <Alert tone="ok">{t('settings.saved')}</Alert> : null}
        {save.isError && !Object.keys(serverErrors).length ? <ErrorNotice error={save.error} /> : null}
        {Object.entries(props).map(([k, s]) => {
          const { kind, nullable, options } = kindOf(s);
          const error = jsonError[k] ?? serverErrors[k];
          if (setting.secretFields.includes(k)) {
            const isSet = (setting.value[k] as { set?: boolean } | undefined)?.set;
            return (
              <div key={k} className="stack">
                <TextField
                  label={k}
                  type="password"
                  autoComplete="new-password"
                  hint={isSet ? t('settings.secretSet') : t('settings.secretNotSet')}
                  value={String(form[k] ?? '')}
                  onChange={(e) => setForm({ ...form, [k]: e.target.value })}
                  error={error}
                />
                {isSet ? (
                  <Checkbox
                    label={t('settings.clearSecret', { field: k })}
                    checked={Boolean(clear[k])}
                    onChange={(v) => setClear({ ...clear, [k]: v })}
                  />
                ) : null}
              </div>
            );
          }
          if (kind === 'boolean')
            return (
              <Checkbox
                key={k}
                label={t(`settings.fields.${k}`, { defaultValue: k })}
                checked={Boolean(form[k])}
                onChange={(v) => setForm({ ...form, [k]: v })}
              />
            );
          if (kind === 'enum')
            return (
              <SelectField
                key={k}
                label={k}
                value={String(form[k])}
                onChange={(e) => setForm({ ...form, [k]: e.target.value })}
                error={error}
              >
                {(options ?? []).map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </SelectField>
            );
          if (kind === 'json')
            return (
              <TextArea
                key={k}
                label={k}
                hint={t('settings.jsonHint')}
                rows={8}
                dir="ltr"
                className="code"
                value={String(form[k])}
                onChange={(e) => setForm({ ...form, [k]: e.target.value })}
                error={error}
              />
            );
          return (
            <TextField
              key={k}
              label={k}
              dir="ltr"
              type={kind === 'number' ? 'number' : 'text'}
              hint={nullable ? t('settings.emptyIsNone') : undefined}
              value={String(form[k] ?? '')}
              onChange={(e) => setForm({ ...form, [k]: e.target.value })}
              error={error}
            />
          );
        })}
        <div className="row">
          <Button type="submit" variant="primary" busy={save.isPending}>
            {t('settings.save')}
          </Button>
          {setting.updatedAt ? (
            <span className="muted small">{t('settings.changed', { date: formatDate(setting.updatedAt, i18n.language) })}</span>
          ) : null}
        </div>
      </form>
    </Card>
  );
}

/** Operators: every instance setting (feature flags first), with forms from their schemas; changes apply without a restart. */
export function SettingsAdminPage() {
  const { t } = useTranslation('operators');
  const q = useQuery({ queryKey: ['admin-settings'], queryFn: () => api(listSettings) });
  const settings = [...(q.data?.settings ?? [])].sort((a, b) => (a.key === 'featureFlags' ? -1 : b.key === 'featureFlags' ? 1 : 0));
  return (
    <>
      <PageHeader title={t('settings.title')} description={t('settings.lead')} />
      <div className="stack">
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {settings.length ? (
          <nav aria-label={t('settings.onThisPage')} className="card">
            <ul className="row plain">
              {settings.map((s) => (
                <li key={s.key}>
                  <a href={`#${s.key}`}>{t(`settings.names.${s.key}`, { defaultValue: s.key })}</a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {settings.map((s) => (
          <SettingForm key={s.key} setting={s} />
        ))}
      </div>
    </>
  );
}
