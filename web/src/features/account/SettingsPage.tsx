import { changePassword, disableTotp, enableTotp, startTotpSetup, updateAccount } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { useSetSession } from '../../app/session';
import { accountLanguageSaved, LANGUAGES, type Lang, setLanguage } from '../../i18n';
import { Alert, Button, Card, PageHeader, SelectField, TextField } from '../../ui';
import { LabParticipationCard, OperatorAccessCard } from '../consent/OperatorAccess';

const zones = (): string[] => {
  const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  return supported ? supported('timeZone') : ['UTC'];
};

function Profile() {
  const { t } = useTranslation('account');
  const session = useShellSession();
  const setSession = useSetSession();
  const [form, setForm] = useState({
    displayName: session.account.displayName,
    locale: session.account.locale,
    timeZone: session.account.timeZone,
  });
  const m = useMutation({
    mutationFn: () => api(updateAccount, { body: form }),
    onSuccess: async (account) => {
      accountLanguageSaved(account.id, account.locale as Lang);
      await setLanguage(account.locale as Lang);
      setSession({ ...session, account });
    },
  });
  const fieldErrors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  return (
    <Card title={t('profile')}>
      <form
        className="stack"
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        {m.isSuccess ? <Alert tone="ok">{t('saved', { ns: 'common' })}</Alert> : null}
        {m.isError && !Object.keys(fieldErrors).length ? <ErrorNotice error={m.error} /> : null}
        <TextField
          label={t('displayName')}
          value={form.displayName}
          onChange={(e) => setForm({ ...form, displayName: e.target.value })}
          error={fieldErrors.displayName}
        />
        <SelectField label={t('language')} value={form.locale} onChange={(e) => setForm({ ...form, locale: e.target.value as Lang })}>
          {LANGUAGES.map((l) => (
            <option key={l.code} value={l.code}>
              {l.label}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('timeZone')}
          hint={t('timeZoneHint')}
          value={form.timeZone}
          onChange={(e) => setForm({ ...form, timeZone: e.target.value })}
        >
          {[...new Set([form.timeZone, ...zones()])].map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        <div>
          <Button type="submit" variant="primary" busy={m.isPending}>
            {t('save', { ns: 'common' })}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Password() {
  const { t } = useTranslation('account');
  const [form, setForm] = useState({ currentPassword: '', newPassword: '' });
  const m = useMutation({
    mutationFn: () => api(changePassword, { body: form }),
    onSuccess: () => setForm({ currentPassword: '', newPassword: '' }),
  });
  const fieldErrors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  return (
    <Card title={t('password')}>
      <form
        className="stack"
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        {m.isSuccess ? <Alert tone="ok">{t('passwordChanged')}</Alert> : null}
        {m.isError && !Object.keys(fieldErrors).length ? <ErrorNotice error={m.error} /> : null}
        <TextField
          label={t('currentPassword')}
          type="password"
          autoComplete="current-password"
          value={form.currentPassword}
          onChange={(e) => setForm({ ...form, currentPassword: e.target.value })}
        />
        <TextField
          label={t('newPassword')}
          type="password"
          autoComplete="new-password"
          value={form.newPassword}
          onChange={(e) => setForm({ ...form, newPassword: e.target.value })}
          error={fieldErrors.newPassword}
        />
        <div>
          <Button type="submit" busy={m.isPending}>
            {t('changePassword')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function SecondFactor() {
  const { t } = useTranslation('account');
  const session = useShellSession();
  const setSession = useSetSession();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const setup = useMutation({ mutationFn: () => api(startTotpSetup, { body: {} }) });
  const enable = useMutation({
    mutationFn: () => api(enableTotp, { body: { code } }),
    onSuccess: () => {
      setSession({ ...session, account: { ...session.account, totpEnabled: true } });
      setCode('');
    },
  });
  const disable = useMutation({
    mutationFn: () => api(disableTotp, { body: { password, code } }),
    onSuccess: () => {
      setSession({ ...session, account: { ...session.account, totpEnabled: false } });
      setCode('');
      setPassword('');
    },
  });
  const codeField = (
    <TextField
      label={t('code')}
      inputMode="numeric"
      autoComplete="one-time-code"
      maxLength={6}
      value={code}
      onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
    />
  );
  if (session.account.totpEnabled) {
    return (
      <Card title={t('totp')}>
        <p>{t('totpOn')}</p>
        {disable.isError ? <ErrorNotice error={disable.error} /> : null}
        <TextField
          label={t('currentPassword')}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {codeField}
        <div>
          <Button variant="danger" busy={disable.isPending} onClick={() => disable.mutate()}>
            {t('totpDisable')}
          </Button>
        </div>
      </Card>
    );
  }
  return (
    <Card title={t('totp')}>
      {disable.isSuccess ? <Alert tone="ok">{t('totpDisabled')}</Alert> : null}
      <p>{t('totpOff')}</p>
      {setup.isError ? <ErrorNotice error={setup.error} /> : null}
      {!setup.data ? (
        <div>
          <Button busy={setup.isPending} onClick={() => setup.mutate()}>
            {t('totpStart')}
          </Button>
        </div>
      ) : (
        <div className="stack">
          <p>{t('totpScan')}</p>
          <p>
            {t('totpKey')}: <code dir="ltr">{setup.data.secret}</code>
          </p>
          <a href={setup.data.otpauthUrl}>{t('totpLink')}</a>
          {enable.isError ? <ErrorNotice error={enable.error} /> : null}
          {codeField}
          <div>
            <Button variant="primary" busy={enable.isPending} onClick={() => enable.mutate()}>
              {t('totpEnable')}
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}

export function SettingsPage() {
  const { t } = useTranslation('account');
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <Profile />
        <Password />
        <SecondFactor />
        <OperatorAccessCard />
        <LabParticipationCard />
      </div>
    </>
  );
}
