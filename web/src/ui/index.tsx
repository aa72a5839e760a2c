import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
  useState,
} from 'react';

export { useInvalidate, useTabParam } from './hooks';

/** Stateless building blocks of every page. */

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'danger'; size?: 'small'; busy?: boolean };

export function Button({ variant, size, busy, children, ...rest }: ButtonProps) {
  return (
    <button
      type="button"
      className={['button', variant, size].filter(Boolean).join(' ')}
      disabled={busy || rest.disabled}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

interface FieldProps {
  label: string;
  hint?: string;
  error?: string;
}

/** The ids of a field's hint and error, for its aria-describedby. */
function describedByOf(id: string, hint: ReactNode, error: ReactNode): string | undefined {
  return [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

/** A field's hint and error, under it (their ids are the ones describedByOf names). */
function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: ReactNode }) {
  return (
    <>
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${id}-error`} className="error">
          {error}
        </span>
      ) : null}
    </>
  );
}

export function TextField({ label, hint, error, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const describedBy = describedByOf(id, hint, error);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

export function TextArea({ label, hint, error, ...input }: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedByOf(id, hint, error)} {...input} />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({
  label,
  hint,
  error,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement> & { children: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedByOf(id, hint, error)} {...select}>
        {children}
      </select>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

export function Alert({
  tone = 'info',
  children,
  title,
}: {
  tone?: 'info' | 'ok' | 'warn' | 'error';
  children: ReactNode;
  title?: string;
}) {
  return (
    <div className={`alert ${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title ? <strong>{title} </strong> : null}
      {children}
    </div>
  );
}

export function Card({
  children,
  title,
  as: Tag = 'section',
  className,
}: {
  children: ReactNode;
  title?: ReactNode;
  as?: 'section' | 'article' | 'div';
  className?: string;
}) {
  return (
    <Tag className={['card', 'stack', className].filter(Boolean).join(' ')}>
      {title ? <h2>{title}</h2> : null}
      {children}
    </Tag>
  );
}

/**
 * A form of stacked fields with its buttons at the end: submit, and cancel when editing. The browser's own
 * checks are off (noValidate): pages check the fields and show each error under its field.
 */
export function Form({
  onSubmit,
  submitLabel,
  busy,
  cancel,
  children,
}: {
  onSubmit: () => void;
  submitLabel: string;
  busy?: boolean;
  cancel?: { label: string; onClick: () => void };
  children: ReactNode;
}) {
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <div className={cancel ? 'row' : undefined}>
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
        {cancel ? <Button onClick={cancel.onClick}>{cancel.label}</Button> : null}
      </div>
    </form>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="row">{actions}</div> : null}
    </div>
  );
}

/** A usage bar: how much of a limit is used. Turns amber at 80% and red at 100%. */
export function Meter({
  label,
  used,
  limit,
  format = (n) => n.toLocaleString(),
}: {
  label: string;
  used: number;
  limit: number | null;
  format?: (n: number) => string;
}) {
  const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  const tone = limit && used >= limit ? 'full' : limit && used >= limit * 0.8 ? 'warn' : '';
  return (
    <div className={`meter ${tone}`}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <span>{label}</span>
        <span className="muted small">
          {format(used)}
          {limit !== null ? ` / ${format(limit)}` : ''}
        </span>
      </div>
      {limit !== null ? (
        <div className="track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used}>
          <div className="fill" style={{ width: `${pct}%` }} />
        </div>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty stack">
      <h2>{title}</h2>
      <div>{children}</div>
      {action ? <div>{action}</div> : null}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <span className="row" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="muted">{label}</span>
    </span>
  );
}

/** An on/off switch (a button with role="switch"), with its label beside it. */
export function Switch({
  label,
  checked,
  onChange,
  busy,
  disabled,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange: (next: boolean) => void;
  busy?: boolean;
  disabled?: boolean;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="switch-field">
      <button
        type="button"
        role="switch"
        id={id}
        aria-checked={checked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        aria-busy={busy || undefined}
        disabled={disabled || busy}
        className="switch"
        onClick={() => onChange(!checked)}
      >
        <span className="knob" aria-hidden="true" />
      </button>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function CheckboxField({ label, hint, error, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const describedBy = describedByOf(id, hint, error);
  return (
    <div className="field checkbox">
      <div className="row">
        <input id={id} type="checkbox" aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
        <label htmlFor={id}>{label}</label>
      </div>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A small coloured label: ok (green), warn (amber), danger (red), or neutral. */
export function Badge({ tone, children }: { tone?: 'ok' | 'warn' | 'danger' | 'info'; children: ReactNode }) {
  return <span className={['badge', tone].filter(Boolean).join(' ')}>{children}</span>;
}

/** Tabs that are links or buttons: the current one is marked for assistive technology. */
export function Tabs<K extends string>({
  label,
  value,
  onChange,
  items,
}: {
  label: string;
  value: K;
  onChange: (k: K) => void;
  items: { key: K; label: ReactNode }[];
}) {
  return (
    <div className="tabs" role="group" aria-label={label}>
      {items.map((it) => (
        <button
          key={it.key}
          type="button"
          className={`tab${it.key === value ? ' active' : ''}`}
          aria-pressed={it.key === value}
          onClick={() => onChange(it.key)}
        >
          {it.label}
        </button>
      ))}
    </div>
  );
}

/**
 * A button that asks once more before it does something that cannot be undone easily
 * (uninstall, delete): the first press shows the question and the two answers in place.
 */
export function ConfirmButton({
  children,
  question,
  confirmLabel,
  cancelLabel,
  onConfirm,
  busy,
  variant = 'danger',
  size,
}: {
  children: ReactNode;
  question: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  variant?: 'primary' | 'danger';
  size?: 'small';
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <Button variant={variant} size={size} busy={busy} onClick={() => setAsking(true)}>
        {children}
      </Button>
    );
  return (
    <div className="confirm" role="group">
      <span>{question}</span>
      <div className="row">
        <Button
          variant={variant}
          size={size}
          busy={busy}
          onClick={() => {
            onConfirm();
            setAsking(false);
          }}
        >
          {confirmLabel}
        </Button>
        <Button size={size} onClick={() => setAsking(false)}>
          {cancelLabel}
        </Button>
      </div>
    </div>
  );
}

/** The end of a row's button's accessible name: ": Milk" after "Edit", so that a list's buttons are told apart. */
function ItemNameSuffix({ itemName }: { itemName: string }) {
  return <span className="visually-hidden">: {itemName}</span>;
}

/** A small button that acts on one row; its accessible name ends with the row's name ("Edit: Milk"). */
export function ItemButton({ itemName, children, ...rest }: Omit<ButtonProps, 'size'> & { itemName: string }) {
  return (
    <Button size="small" {...rest}>
      {children}
      <ItemNameSuffix itemName={itemName} />
    </Button>
  );
}

/** What a row's action runs: a mutation without variables (its pending state keeps the button busy). */
interface ItemAction {
  isPending: boolean;
  mutate: () => void;
}

/**
 * A row's delete button: a small ConfirmButton whose accessible name ends with the row's name ("Delete: Milk").
 */
export function DeleteItemButton({
  itemName,
  question,
  labels,
  mutation,
}: {
  itemName: string;
  question: ReactNode;
  labels: { delete: string; yes: string; cancel: string };
  mutation: ItemAction;
}) {
  return (
    <ConfirmButton
      size="small"
      question={question}
      confirmLabel={labels.yes}
      cancelLabel={labels.cancel}
      busy={mutation.isPending}
      onConfirm={() => mutation.mutate()}
    >
      {labels.delete}
      <ItemNameSuffix itemName={itemName} />
    </ConfirmButton>
  );
}

/** The button under a paged list that fetches its next page, shown while there is one. */
export function MoreButton({
  label,
  pages,
}: {
  label: string;
  pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (!pages.hasNextPage) return null;
  return (
    <div>
      <Button busy={pages.isFetchingNextPage} onClick={() => pages.fetchNextPage()}>
        {label}
      </Button>
    </div>
  );
}

/** A search box and its button: the search runs on submit (Enter or the button), with the words trimmed. */
export function SearchForm({ label, buttonLabel, onSearch }: { label: string; buttonLabel: string; onSearch: (q: string) => void }) {
  const [q, setQ] = useState('');
  return (
    <form
      className="toolbar"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(q.trim());
      }}
    >
      <TextField label={label} type="search" value={q} onChange={(e) => setQ(e.target.value)} />
      <Button type="submit">{buttonLabel}</Button>
    </form>
  );
}

/** A value a person may copy (a secret URL): read-only text and a copy button that says when it copied. */
export function CopyField({
  label,
  value,
  copyLabel,
  copiedLabel,
}: {
  label: string;
  value: string;
  copyLabel: string;
  copiedLabel: string;
}) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} readOnly value={value} dir="ltr" onFocus={(e) => e.target.select()} />
        <Button
          size="small"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              // No clipboard here (an insecure origin, or permission denied): select the text to copy by hand.
              const input = document.getElementById(id) as HTMLInputElement | null;
              input?.focus();
              input?.select();
            }
          }}
        >
          {copied ? copiedLabel : copyLabel}
        </Button>
      </div>
    </div>
  );
}

/** Code or JSON for reading: left to right, scrolls sideways when long (and can then be reached by keyboard). */
export function Code({ children }: { children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard (axe: scrollable-region-focusable)
    <pre className="code" tabIndex={0}>
      {children}
    </pre>
  );
}

/** A wide thing (a table) that scrolls sideways on a phone: a named region the keyboard can reach and scroll. */
export function ScrollRegion({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard (axe: scrollable-region-focusable)
    <div className={['table-wrap', className].filter(Boolean).join(' ')} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
