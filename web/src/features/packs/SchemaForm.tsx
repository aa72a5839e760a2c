import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { CheckboxField, SelectField, TextArea, TextField } from '../../ui';

/**
 * The settings form of a pack, generated from the JSON Schema in its manifest. It covers what pack
 * settings use: strings (with pattern and length), booleans, integers and numbers (with bounds),
 * enums as a select, defaults, and title/description as label/hint. Anything else (objects, arrays)
 * is edited as JSON. The server checks the same schema again; its errors land on the field too.
 */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

type FieldKind = 'string' | 'boolean' | 'integer' | 'number' | 'enum' | 'json';

export interface SchemaField {
  key: string;
  kind: FieldKind;
  schema: JsonSchema;
  required: boolean;
}

/** What the form holds while a person types: text for text and number boxes, booleans for checkboxes. */
export type RawValues = Record<string, string | boolean>;

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  return s.type;
}

export function schemaFields(schema: JsonSchema | undefined): SchemaField[] {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(props).map(([key, s]) => {
    const t = typeOf(s);
    const kind: FieldKind = Array.isArray(s.enum)
      ? 'enum'
      : t === 'string' || t === 'boolean' || t === 'integer' || t === 'number'
        ? t
        : 'json';
    return { key, kind, schema: s, required: required.has(key) };
  });
}

function toRaw(f: SchemaField, v: unknown): string | boolean {
  switch (f.kind) {
    case 'boolean':
      return v === true;
    case 'enum': {
      const i = (f.schema.enum ?? []).indexOf(v);
      return i >= 0 ? String(i) : '';
    }
    case 'json':
      return v === undefined ? '' : JSON.stringify(v, null, 2);
    default:
      return v === undefined || v === null ? '' : String(v);
  }
}

/** The form's starting values: what is saved, else the schema's default, else empty. */
export function initialRaw(schema: JsonSchema | undefined, current: Record<string, unknown> = {}): RawValues {
  const out: RawValues = {};
  for (const f of schemaFields(schema)) out[f.key] = toRaw(f, f.key in current ? current[f.key] : f.schema.default);
  return out;
}

export type Problem =
  | { code: 'required' }
  | { code: 'pattern' }
  | { code: 'minLength' | 'maxLength'; n: number }
  | { code: 'notInteger' | 'notNumber' | 'json' }
  | { code: 'min' | 'max'; n: number }
  | { code: 'multipleOf'; n: number };

/**
 * Turns what the person typed into settings, or names the problem of each field. Empty optional
 * fields are left out, so that the pack's default applies.
 */
export function parseRaw(
  schema: JsonSchema | undefined,
  raw: RawValues,
): { values: Record<string, unknown>; problems: Record<string, Problem> } {
  const values: Record<string, unknown> = {};
  const problems: Record<string, Problem> = {};
  for (const f of schemaFields(schema)) {
    const r = raw[f.key];
    const s = f.schema;
    if (f.kind === 'boolean') {
      values[f.key] = r === true;
      continue;
    }
    const text = typeof r === 'string' ? r : '';
    if (f.kind !== 'json' && f.kind !== 'string' && text.trim() === '') {
      if (f.required) problems[f.key] = { code: 'required' };
      continue;
    }
    switch (f.kind) {
      case 'enum': {
        const v = (s.enum ?? [])[Number(text)];
        if (v === undefined) problems[f.key] = { code: 'required' };
        else values[f.key] = v;
        break;
      }
      case 'integer':
      case 'number': {
        const n = Number(text.trim().replace(',', '.'));
        if (!Number.isFinite(n)) problems[f.key] = { code: 'notNumber' };
        else if (f.kind === 'integer' && !Number.isInteger(n)) problems[f.key] = { code: 'notInteger' };
        else if (s.minimum !== undefined && n < s.minimum) problems[f.key] = { code: 'min', n: s.minimum };
        else if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) problems[f.key] = { code: 'min', n: s.exclusiveMinimum };
        else if (s.maximum !== undefined && n > s.maximum) problems[f.key] = { code: 'max', n: s.maximum };
        else if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum) problems[f.key] = { code: 'max', n: s.exclusiveMaximum };
        else if (s.multipleOf !== undefined && Math.abs(n / s.multipleOf - Math.round(n / s.multipleOf)) > 1e-9)
          problems[f.key] = { code: 'multipleOf', n: s.multipleOf };
        else values[f.key] = n;
        break;
      }
      case 'string': {
        if (text === '') {
          if (f.required && (s.minLength ?? 1) > 0) problems[f.key] = { code: 'required' };
          else if (f.required) values[f.key] = '';
          break;
        }
        if (s.minLength !== undefined && [...text].length < s.minLength) problems[f.key] = { code: 'minLength', n: s.minLength };
        else if (s.maxLength !== undefined && [...text].length > s.maxLength) problems[f.key] = { code: 'maxLength', n: s.maxLength };
        else if (s.pattern && !safeTest(s.pattern, text)) problems[f.key] = { code: 'pattern' };
        else values[f.key] = text;
        break;
      }
      case 'json': {
        if (text.trim() === '') {
          if (f.required) problems[f.key] = { code: 'required' };
          break;
        }
        try {
          values[f.key] = JSON.parse(text);
        } catch {
          problems[f.key] = { code: 'json' };
        }
        break;
      }
    }
  }
  return { values, problems };
}

function safeTest(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    // A pattern this browser cannot compile: the server checks it.
    return true;
  }
}

/** The server's problems with settings (`body.settings.<field>`), keyed by field. */
export function serverSettingsErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  const issues = (e.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
  const out: Record<string, string> = {};
  for (const i of issues) {
    const m = /^(?:body\.)?settings\.([^.]+)/.exec(i.path);
    if (m?.[1] && !out[m[1]]) out[m[1]] = i.message;
  }
  return out;
}

export function useProblemText() {
  const { t } = useTranslation('packs');
  return (p: Problem | undefined): string | undefined => {
    if (!p) return undefined;
    return t(`form.${p.code}`, 'n' in p ? { n: p.n } : {});
  };
}

/** The generated fields. Controlled: the parent holds the raw values and the errors to show. */
export function SchemaForm({
  schema,
  raw,
  onChange,
  errors,
}: {
  schema: JsonSchema | undefined;
  raw: RawValues;
  onChange: (next: RawValues) => void;
  errors: Record<string, string | undefined>;
}) {
  const { t } = useTranslation('packs');
  const fields = schemaFields(schema);
  if (!fields.length) return <p className="muted">{t('form.nothingToSet')}</p>;
  const set = (key: string, v: string | boolean) => onChange({ ...raw, [key]: v });
  return (
    <div className="stack">
      {fields.map((f) => {
        const label = f.schema.title ?? humanize(f.key);
        const hint = [f.schema.description, boundsHint(f, t)].filter(Boolean).join(' ') || undefined;
        const value = raw[f.key];
        const common = { label, hint, error: errors[f.key], name: f.key };
        switch (f.kind) {
          case 'boolean':
            return <CheckboxField key={f.key} {...common} checked={value === true} onChange={(e) => set(f.key, e.target.checked)} />;
          case 'enum':
            return (
              <SelectField key={f.key} {...common} value={String(value ?? '')} onChange={(e) => set(f.key, e.target.value)}>
                {!f.required || value === '' ? <option value="">{t('form.choose')}</option> : null}
                {(f.schema.enum ?? []).map((v, i) => (
                  <option key={String(i)} value={String(i)}>
                    {String(v)}
                  </option>
                ))}
              </SelectField>
            );
          case 'integer':
          case 'number':
            return (
              <TextField
                key={f.key}
                {...common}
                type="number"
                inputMode={f.kind === 'integer' ? 'numeric' : 'decimal'}
                min={f.schema.minimum ?? f.schema.exclusiveMinimum}
                max={f.schema.maximum ?? f.schema.exclusiveMaximum}
                step={f.schema.multipleOf ?? (f.kind === 'integer' ? 1 : 'any')}
                required={f.required}
                value={String(value ?? '')}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
          case 'string':
            return (f.schema.maxLength ?? 0) > 200 ? (
              <TextArea
                key={f.key}
                {...common}
                required={f.required}
                value={String(value ?? '')}
                onChange={(e) => set(f.key, e.target.value)}
              />
            ) : (
              <TextField
                key={f.key}
                {...common}
                type={f.schema.format === 'email' ? 'email' : f.schema.format === 'uri' ? 'url' : 'text'}
                dir={f.schema.format === 'email' || f.schema.format === 'uri' ? 'ltr' : undefined}
                required={f.required}
                maxLength={f.schema.maxLength}
                value={String(value ?? '')}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
          case 'json':
            return (
              <TextArea
                key={f.key}
                {...common}
                hint={[hint, t('form.jsonHint')].filter(Boolean).join(' ')}
                dir="ltr"
                rows={4}
                value={String(value ?? '')}
                onChange={(e) => set(f.key, e.target.value)}
              />
            );
        }
        return null;
      })}
    </div>
  );
}

function boundsHint(f: SchemaField, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (f.kind !== 'integer' && f.kind !== 'number') return '';
  const min = f.schema.minimum;
  const max = f.schema.maximum;
  if (min !== undefined && max !== undefined) return t('form.between', { min, max });
  if (min !== undefined) return t('form.atLeast', { n: min });
  if (max !== undefined) return t('form.atMost', { n: max });
  return '';
}

/** `emailDigest` → "Email digest": a label for a setting with no title. */
export function humanize(key: string): string {
  const s = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
