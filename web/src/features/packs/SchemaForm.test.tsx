import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { type FormEvent, useState } from 'react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { initI18n } from '../../i18n';
import {
  initialRaw,
  type JsonSchema,
  type Problem,
  parseRaw,
  type RawValues,
  SchemaForm,
  schemaFields,
  serverSettingsErrors,
  useProblemText,
} from './SchemaForm';

// The starter pack's settings, as its manifest declares them.
const STARTER: JsonSchema = {
  type: 'object',
  properties: {
    digestTime: {
      type: 'string',
      title: 'Time of the morning digest',
      description: 'Hours and minutes, 24-hour clock, in your time zone.',
      pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
      default: '08:00',
    },
    emailDigest: { type: 'boolean', title: 'Also send the digest by email', default: false },
  },
  additionalProperties: false,
} as JsonSchema;

const RICH: JsonSchema = {
  type: 'object',
  required: ['maxItems', 'tone'],
  properties: {
    maxItems: { type: 'integer', title: 'How many items', minimum: 1, maximum: 20, default: 5 },
    ratio: { type: 'number', exclusiveMaximum: 1 },
    tone: { enum: ['short', 'detailed'], title: 'Tone', default: 'short' },
    labels: { type: 'array', items: { type: 'string' } },
  },
};

/** The form as a page uses it: raw values in state, checked on submit, server errors on the fields. */
function Harness({
  schema,
  onValues,
  serverError,
}: {
  schema: JsonSchema;
  onValues: (v: Record<string, unknown>) => void;
  serverError?: unknown;
}) {
  const [raw, setRaw] = useState<RawValues>(() => initialRaw(schema));
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const text = useProblemText();
  const errors: Record<string, string | undefined> = { ...serverSettingsErrors(serverError) };
  for (const [k, p] of Object.entries(problems)) errors[k] = text(p);
  return (
    <form
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        const r = parseRaw(schema, raw);
        setProblems(r.problems);
        if (!Object.keys(r.problems).length) onValues(r.values);
      }}
    >
      <SchemaForm schema={schema} raw={raw} onChange={setRaw} errors={errors} />
      <button type="submit">Install</button>
    </form>
  );
}

beforeAll(async () => {
  await initI18n('en').loadNamespaces(['packs']);
});
afterEach(cleanup);

describe('the settings form generated from a pack’s JSON Schema', () => {
  it('shows each setting with its title as label, its description as hint, and its default', () => {
    render(<Harness schema={STARTER} onValues={() => {}} />);
    const time = screen.getByLabelText('Time of the morning digest') as HTMLInputElement;
    expect(time.value).toBe('08:00');
    expect(time.getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByText('Hours and minutes, 24-hour clock, in your time zone.')).toBeTruthy();
    const email = screen.getByLabelText('Also send the digest by email') as HTMLInputElement;
    expect(email.type).toBe('checkbox');
    expect(email.checked).toBe(false);
  });

  it('refuses a value that does not match the pattern, on the field, and sends typed values once it does', () => {
    let sent: Record<string, unknown> | null = null;
    render(<Harness schema={STARTER} onValues={(v) => (sent = v)} />);
    const time = screen.getByLabelText('Time of the morning digest') as HTMLInputElement;
    fireEvent.change(time, { target: { value: '25:99' } });
    fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect(sent).toBeNull();
    expect(time.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('This is not in the expected form; see the hint.')).toBeTruthy();

    fireEvent.change(time, { target: { value: '07:30' } });
    fireEvent.click(screen.getByLabelText('Also send the digest by email'));
    fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect(sent).toEqual({ digestTime: '07:30', emailDigest: true });
  });

  it('makes numbers with bounds, enums as a select, and JSON for the rest, with defaults filled in', () => {
    let sent: Record<string, unknown> | null = null;
    render(<Harness schema={RICH} onValues={(v) => (sent = v)} />);
    const max = screen.getByLabelText('How many items') as HTMLInputElement;
    expect(max.type).toBe('number');
    expect(max.value).toBe('5');
    expect(max.min).toBe('1');
    expect(max.max).toBe('20');
    expect(screen.getByText('From 1 to 20.')).toBeTruthy();
    const tone = screen.getByLabelText('Tone') as HTMLSelectElement;
    expect(tone.tagName).toBe('SELECT');
    expect([...tone.options].map((o) => o.textContent)).toEqual(['short', 'detailed']);
    expect(screen.getByLabelText('Labels').tagName).toBe('TEXTAREA');

    fireEvent.change(max, { target: { value: '21' } });
    fireEvent.change(screen.getByLabelText('Ratio'), { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: '[oops' } });
    fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect(sent).toBeNull();
    expect(screen.getByText('Use 20 or less.')).toBeTruthy();
    expect(screen.getByText('Use 1 or less.')).toBeTruthy();
    expect(screen.getByText('This is not valid JSON.')).toBeTruthy();

    fireEvent.change(max, { target: { value: '12' } });
    fireEvent.change(screen.getByLabelText('Ratio'), { target: { value: '0,5' } });
    fireEvent.change(tone, { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: '["a","b"]' } });
    fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect(sent).toEqual({ maxItems: 12, ratio: 0.5, tone: 'detailed', labels: ['a', 'b'] });
  });

  it('leaves out empty optional fields so the pack’s defaults apply, and names required ones left empty', () => {
    expect(parseRaw(RICH, { maxItems: '', ratio: '', tone: '0', labels: '' })).toEqual({
      values: { tone: 'short' },
      problems: { maxItems: { code: 'required' } },
    });
    expect(parseRaw(RICH, { maxItems: '2.5', ratio: '', tone: '0', labels: '' }).problems).toEqual({ maxItems: { code: 'notInteger' } });
  });

  it('starts from the saved settings when editing', () => {
    expect(initialRaw(STARTER, { digestTime: '06:15', emailDigest: true })).toEqual({ digestTime: '06:15', emailDigest: true });
    expect(schemaFields(RICH).map((f) => [f.key, f.kind, f.required])).toEqual([
      ['maxItems', 'integer', true],
      ['ratio', 'number', false],
      ['tone', 'enum', true],
      ['labels', 'json', false],
    ]);
  });

  it('shows the server’s problem with a setting on that field', () => {
    const err = new ApiError('invalid_input', 'body.settings.digestTime: Invalid string', 400, {
      issues: [{ path: 'body.settings.digestTime', message: 'Invalid string: must match pattern' }],
    });
    render(<Harness schema={STARTER} onValues={() => {}} serverError={err} />);
    expect(screen.getByText('Invalid string: must match pattern')).toBeTruthy();
    expect(screen.getByLabelText('Time of the morning digest').getAttribute('aria-invalid')).toBe('true');
  });
});
