import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { initI18n } from '../../i18n';
import { ActionEditor, ActionPreview, actionFields, buildAction, initialActionRaw, toLocalInput } from './ActionEditor';

// What the starter pack's "Suggest a first task" agent proposes (the tasks.create skill's input).
const CREATE_TASK = {
  title: 'Connect your email so your agents can help with it',
  notes: 'Open Connectors and add your mailbox with an app password.',
  priority: 'normal',
};

beforeAll(async () => {
  await initI18n('en').loadNamespaces(['suggestions']);
});
afterEach(cleanup);

describe('the action editor', () => {
  it('gives each field of an action the control its value needs, what the action is about first', () => {
    // Keys in the order PostgreSQL's jsonb gives them back (shorter keys first).
    const fields = actionFields({
      notes: 'About Tuesday',
      title: 'Call Dana',
      dueAt: '2026-03-02T09:30:00.000Z',
      priority: 'high',
      taskId: '0190f7a2-1c2b-7d3e-8f40-123456789abc',
      count: 3,
      email: true,
      items: ['milk', 'bread'],
      label: null,
    });
    expect(fields.map((f) => [f.key, f.kind])).toEqual([
      ['title', 'text'],
      ['notes', 'longtext'],
      ['dueAt', 'datetime'],
      ['priority', 'choice'],
      ['taskId', 'fixed'],
      ['count', 'number'],
      ['email', 'boolean'],
      ['items', 'json'],
      ['label', 'text'],
    ]);
  });

  it('gives back the same keys and types, and keeps what cannot be edited', () => {
    const action = {
      title: 'Call Dana',
      dueAt: '2026-03-02T09:30:00.000Z',
      taskId: '0190f7a2-1c2b-7d3e-8f40-123456789abc',
      n: 2,
      on: false,
      label: null,
    };
    const fields = actionFields(action);
    const raw = initialActionRaw(fields);
    expect(raw.dueAt).toBe(toLocalInput(action.dueAt));
    expect(buildAction(fields, raw)).toEqual({ action, problems: {} });
    expect(buildAction(fields, { ...raw, dueAt: '', n: 'x', taskId: 'something else', label: '' })).toEqual({
      action: { title: 'Call Dana', dueAt: null, taskId: action.taskId, on: false, label: null },
      problems: { n: 'number' },
    });
  });

  it('lets a person change the title and priority before approving, and approves the edited action', () => {
    let approved: Record<string, unknown> | null = null;
    render(<ActionEditor action={CREATE_TASK} submitLabel="Approve as edited" onSubmit={(a) => (approved = a)} onCancel={() => {}} />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Connect the work mailbox' } });
    const priority = screen.getByLabelText('Priority') as HTMLSelectElement;
    expect([...priority.options].map((o) => o.textContent)).toEqual(['High', 'Normal', 'Low']);
    fireEvent.change(priority, { target: { value: 'high' } });
    expect(screen.getByLabelText('Notes').tagName).toBe('TEXTAREA');
    fireEvent.click(screen.getByRole('button', { name: 'Approve as edited' }));
    expect(approved).toEqual({ ...CREATE_TASK, title: 'Connect the work mailbox', priority: 'high' });
  });

  it('does not approve an action whose title was emptied, and says why on the field', () => {
    let approved = false;
    render(<ActionEditor action={CREATE_TASK} submitLabel="Approve as edited" onSubmit={() => (approved = true)} onCancel={() => {}} />);
    const title = screen.getByLabelText('Title');
    fireEvent.change(title, { target: { value: '   ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve as edited' }));
    expect(approved).toBe(false);
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('This cannot be empty.')).toBeTruthy();
  });

  it('shows the server’s problem with an edited field on that field', () => {
    const err = new ApiError('invalid_input', 'body.action.title: Too big', 400, {
      issues: [{ path: 'body.action.title', message: 'Too big: expected string to have <=300 characters' }],
    });
    render(
      <ActionEditor
        action={CREATE_TASK}
        submitLabel="Approve as edited"
        serverErrors={{ title: (err.details as { issues: { message: string }[] }).issues[0]!.message }}
        onSubmit={() => {}}
        onCancel={() => {}}
      />,
    );
    expect(screen.getByText('Too big: expected string to have <=300 characters')).toBeTruthy();
  });

  it('previews the action as labelled, readable fields', () => {
    render(<ActionPreview action={{ ...CREATE_TASK, priority: 'high', dueAt: null }} timeZone="UTC" />);
    expect(screen.getByText('Title').nextElementSibling?.textContent).toBe(CREATE_TASK.title);
    expect(screen.getByText('Priority').nextElementSibling?.textContent).toBe('High');
    expect(screen.getByText('Due').nextElementSibling?.textContent).toBe('(empty)');
  });
});
