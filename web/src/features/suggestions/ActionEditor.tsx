import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { Button, CheckboxField, Code, SelectField, TextArea, TextField } from '../../ui';
import { formatDateTime, prettyJson } from '../../ui/format';
import { humanize } from '../packs/SchemaForm';

/**
 * A suggestion's action as fields a person can read and change before approving. The action is
 * plain JSON (the skill's input); each field's control follows its value: text, long text, a number,
 * yes/no, a date and time, a choice for fields with a known set of values, JSON for nested values.
 * Ids are shown but not editable: changing which record an action touches is not an edit, it is
 * another action. The server checks the edited action against the skill's schema again.
 */

type ActionFieldKind = 'text' | 'longtext' | 'number' | 'boolean' | 'datetime' | 'choice' | 'fixed' | 'json';

export interface ActionField {
  key: string;
  kind: ActionFieldKind;
  original: unknown;
  choices?: readonly string[];
}

export type ActionRaw = Record<string, string | boolean>;
export type ActionProblem = 'required' | 'number' | 'json' | 'datetime';

/** Fields whose values come from a known, small set. */
const CHOICES: Record<string, readonly string[]> = {
  priority: ['high', 'normal', 'low'],
};
const LONG_KEYS = new Set(['notes', 'body', 'text', 'description', 'summary', 'message', 'content', 'html']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a person reads first: the fields that say what the action is (stored JSON comes back with keys reordered). */
const FIRST = ['title', 'subject', 'to', 'name', 'text', 'body', 'notes', 'dueAt', 'priority'];
const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);

export function actionFields(action: unknown): ActionField[] {
  if (!isPlainObject(action)) return [];
  const entries = Object.entries(action).sort((a, b) => rank(a[0]) - rank(b[0]));
  return entries.map(([key, v]): ActionField => {
    if (typeof v === 'number') return { key, kind: 'number', original: v };
    if (typeof v === 'boolean') return { key, kind: 'boolean', original: v };
    if (typeof v === 'string') {
      if (UUID.test(v)) return { key, kind: 'fixed', original: v };
      if (ISO_DATETIME.test(v)) return { key, kind: 'datetime', original: v };
      const choices = CHOICES[key];
      if (choices?.includes(v)) return { key, kind: 'choice', original: v, choices };
      if (LONG_KEYS.has(key) || v.length > 80 || v.includes('\n')) return { key, kind: 'longtext', original: v };
      return { key, kind: 'text', original: v };
    }
    if (v === null) return { key, kind: LONG_KEYS.has(key) ? 'longtext' : 'text', original: v };
    return { key, kind: 'json', original: v };
  });
}

/** An ISO date-time as the value of a datetime-local box (the browser's local wall-clock time). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function initialActionRaw(fields: ActionField[]): ActionRaw {
  const raw: ActionRaw = {};
  for (const f of fields) {
    const v = f.original;
    if (f.kind === 'boolean') raw[f.key] = v === true;
    else if (f.kind === 'datetime') raw[f.key] = toLocalInput(String(v));
    else if (f.kind === 'json') raw[f.key] = JSON.stringify(v, null, 2);
    else raw[f.key] = v === null || v === undefined ? '' : String(v);
  }
  return raw;
}

/** What the person typed, turned back into the action (same keys and types), or the problem of each field. */
export function buildAction(
  fields: ActionField[],
  raw: ActionRaw,
): { action: Record<string, unknown>; problems: Record<string, ActionProblem> } {
  const action: Record<string, unknown> = {};
  const problems: Record<string, ActionProblem> = {};
  for (const f of fields) {
    const r = raw[f.key];
    const text = typeof r === 'string' ? r : '';
    switch (f.kind) {
      case 'fixed':
        action[f.key] = f.original;
        break;
      case 'boolean':
        action[f.key] = r === true;
        break;
      case 'number': {
        const n = Number(text.trim().replace(',', '.'));
        if (text.trim() === '' || !Number.isFinite(n)) problems[f.key] = 'number';
        else action[f.key] = n;
        break;
      }
      case 'datetime': {
        if (text === '') {
          action[f.key] = null;
          break;
        }
        const d = new Date(text);
        if (Number.isNaN(d.getTime())) problems[f.key] = 'datetime';
        else action[f.key] = d.toISOString();
        break;
      }
      case 'json':
        try {
          action[f.key] = JSON.parse(text);
        } catch {
          problems[f.key] = 'json';
        }
        break;
      case 'choice':
        action[f.key] = text;
        break;
      case 'text':
      case 'longtext':
        if (f.original === null && text === '') action[f.key] = null;
        // A short text an agent filled in (a title, a subject) is what the action is about: clearing it is a slip.
        else if (f.kind === 'text' && typeof f.original === 'string' && f.original.trim() !== '' && text.trim() === '')
          problems[f.key] = 'required';
        else action[f.key] = text;
        break;
    }
  }
  return { action, problems };
}

/** The server's problems with an edited action (`body.action.<field>`), keyed by field. */
export function serverActionErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  const issues = (e.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
  const out: Record<string, string> = {};
  for (const i of issues) {
    const m = /^(?:body\.)?action\.([^.]+)/.exec(i.path);
    if (m?.[1] && !out[m[1]]) out[m[1]] = i.message;
  }
  return out;
}

function useFieldLabel() {
  const { t } = useTranslation('suggestions');
  return (key: string) => t(`fields.${key}`, { defaultValue: humanize(key) });
}

/** The action as read-only fields: what exactly will happen. */
export function ActionPreview({ action, timeZone }: { action: unknown; timeZone?: string }) {
  const { t, i18n } = useTranslation('suggestions');
  const label = useFieldLabel();
  const fields = actionFields(action);
  if (!isPlainObject(action)) return <Code>{prettyJson(action)}</Code>;
  if (!fields.length) return null;
  return (
    <dl className="kv">
      {fields.map((f) => {
        const v = f.original;
        let shown: ReactNode;
        if (v === null || v === '') shown = <span className="muted">{t('emptyValue')}</span>;
        else if (f.kind === 'boolean') shown = v ? t('yes') : t('no');
        else if (f.kind === 'datetime') shown = formatDateTime(String(v), i18n.language, timeZone, true);
        else if (f.kind === 'choice') shown = t(`choices.${f.key}.${String(v)}`, { defaultValue: String(v) });
        else if (f.kind === 'json') shown = <Code>{prettyJson(v)}</Code>;
        else if (f.kind === 'fixed')
          shown = (
            <code dir="ltr" className="small">
              {String(v)}
            </code>
          );
        else shown = String(v);
        return (
          <div key={f.key} style={{ display: 'contents' }}>
            <dt>{label(f.key)}</dt>
            <dd dir="auto">{shown}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** The form over an action's fields; calls `onSubmit` with the edited action once every field reads well. */
export function ActionEditor({
  action,
  onSubmit,
  onCancel,
  busy,
  serverErrors = {},
  submitLabel,
}: {
  action: unknown;
  onSubmit: (edited: Record<string, unknown>) => void;
  onCancel: () => void;
  busy?: boolean;
  serverErrors?: Record<string, string>;
  submitLabel: string;
}) {
  const { t } = useTranslation('suggestions');
  const label = useFieldLabel();
  const [fields] = useState(() => actionFields(action));
  const [raw, setRaw] = useState<ActionRaw>(() => initialActionRaw(fields));
  const [problems, setProblems] = useState<Record<string, ActionProblem>>({});
  const set = (key: string, v: string | boolean) => setRaw((r) => ({ ...r, [key]: v }));
  // Opening the editor takes the person to its first field (keyboard and screen reader users land in the form).
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input:not([readonly]), textarea, select')?.focus();
  }, []);
  const error = (key: string) => (problems[key] ? t(`problems.${problems[key]}`) : serverErrors[key]);
  return (
    <form
      ref={form}
      className="stack"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        const r = buildAction(fields, raw);
        setProblems(r.problems);
        if (!Object.keys(r.problems).length) onSubmit(r.action);
      }}
    >
      {fields.map((f) => {
        const common = { label: label(f.key), error: error(f.key), name: f.key };
        const value = raw[f.key];
        switch (f.kind) {
          case 'boolean':
            return <CheckboxField key={f.key} {...common} checked={value === true} onChange={(e) => set(f.key, e.target.checked)} />;
          case 'choice':
            return (
              <SelectField key={f.key} {...common} value={String(value)} onChange={(e) => set(f.key, e.target.value)}>
                {(f.choices ?? []).map((c) => (
                  <option key={c} value={c}>
                    {t(`choices.${f.key}.${c}`, { defaultValue: c })}
                  </option>
                ))}
              </SelectField>
            );
          case 'number':
            return (
              <TextField
                key={f.key}
                {...common}
                type="number"
                inputMode="decimal"
                step="any"
                value={String(value)}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
          case 'datetime':
            return (
              <TextField
                key={f.key}
                {...common}
                type="datetime-local"
                hint={t('datetimeHint')}
                value={String(value)}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
          case 'fixed':
            return <TextField key={f.key} {...common} readOnly dir="ltr" hint={t('fixedHint')} value={String(value)} />;
          case 'json':
            return (
              <TextArea
                key={f.key}
                {...common}
                dir="ltr"
                rows={5}
                hint={t('jsonHint')}
                value={String(value)}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
          case 'longtext':
            return (
              <TextArea key={f.key} {...common} dir="auto" rows={4} value={String(value)} onChange={(e) => set(f.key, e.target.value)} />
            );
          default:
            return <TextField key={f.key} {...common} dir="auto" value={String(value)} onChange={(e) => set(f.key, e.target.value)} />;
        }
      })}
      <div className="row">
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
        <Button onClick={onCancel}>{t('cancel', { ns: 'common' })}</Button>
      </div>
    </form>
  );
}
