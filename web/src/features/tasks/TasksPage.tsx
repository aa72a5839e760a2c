import type { TaskView } from '@csme/contracts/tasks';
import { createTask, deleteTask, listTasks, updateTask } from '@csme/contracts/tasks';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import {
  Badge,
  Card,
  DeleteItemButton,
  EmptyState,
  Form,
  ItemButton,
  MoreButton,
  PageHeader,
  SelectField,
  Spinner,
  Tabs,
  TextArea,
  TextField,
  useInvalidate,
  useTabParam,
} from '../../ui';
import { bidi, formatDateTime } from '../../ui/format';
import { toLocalInput } from '../suggestions/ActionEditor';

type Priority = TaskView['priority'];

interface Draft {
  title: string;
  notes: string;
  due: string;
  priority: Priority;
  visibility: 'shared' | 'private';
}

const emptyDraft: Draft = { title: '', notes: '', due: '', priority: 'normal', visibility: 'shared' };

/** The fields of a task (adding and editing share them). */
function TaskFields({
  draft,
  set,
  errors,
  family,
  folded,
}: {
  draft: Draft;
  set: (d: Draft) => void;
  errors: Record<string, string>;
  family: boolean;
  /** Adding: only the title shows at first, so that the list stays near the top on a phone. */
  folded?: boolean;
}) {
  const { t } = useTranslation('tasks');
  const more = (
    <>
      <TextArea
        label={t('notes')}
        value={draft.notes}
        rows={2}
        maxLength={5000}
        dir="auto"
        error={errors.notes}
        onChange={(e) => set({ ...draft, notes: e.target.value })}
      />
      <div className="toolbar" style={{ margin: 0 }}>
        <TextField
          label={t('due')}
          type="datetime-local"
          value={draft.due}
          error={errors.dueAt}
          onChange={(e) => set({ ...draft, due: e.target.value })}
        />
        <SelectField label={t('priority')} value={draft.priority} onChange={(e) => set({ ...draft, priority: e.target.value as Priority })}>
          {(['high', 'normal', 'low'] as const).map((p) => (
            <option key={p} value={p}>
              {t(`priorities.${p}`)}
            </option>
          ))}
        </SelectField>
        {family ? (
          <SelectField
            label={t('visibility')}
            value={draft.visibility}
            onChange={(e) => set({ ...draft, visibility: e.target.value as Draft['visibility'] })}
          >
            <option value="shared">{t('shared')}</option>
            <option value="private">{t('private')}</option>
          </SelectField>
        ) : null}
      </div>
    </>
  );
  const unfold = Boolean(errors.notes || errors.dueAt || draft.notes || draft.due || draft.priority !== 'normal');
  return (
    <>
      <TextField
        label={t('taskTitle')}
        value={draft.title}
        maxLength={300}
        required
        dir="auto"
        error={errors.title}
        onChange={(e) => set({ ...draft, title: e.target.value })}
      />
      {folded ? (
        <details open={unfold || undefined}>
          <summary>{t('moreFields')}</summary>
          <div className="stack" style={{ marginBlockStart: 'var(--space-2)' }}>
            {more}
          </div>
        </details>
      ) : (
        more
      )}
    </>
  );
}

const dueIso = (local: string) => (local ? new Date(local).toISOString() : null);

function AddTask() {
  const { t } = useTranslation('tasks');
  const session = useShellSession();
  const family = session.activeSpace.kind === 'family';
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [missing, setMissing] = useState(false);
  const changed = useInvalidate('tasks', 'activity');
  const m = useMutation({
    mutationFn: () =>
      api(createTask, {
        body: {
          title: draft.title.trim(),
          notes: draft.notes,
          dueAt: dueIso(draft.due),
          priority: draft.priority,
          ...(family ? { visibility: draft.visibility } : {}),
        },
      }),
    onSuccess: () => {
      setDraft(emptyDraft);
      return changed();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  if (missing) errors.title = t('titleRequired');
  return (
    <Card title={t('addTitle')}>
      <Form
        submitLabel={t('add')}
        busy={m.isPending}
        onSubmit={() => {
          if (!draft.title.trim()) {
            setMissing(true);
            return;
          }
          setMissing(false);
          m.mutate();
        }}
      >
        <TaskFields draft={draft} set={setDraft} errors={errors} family={family} folded />
        {m.isError && !Object.keys(m.error instanceof ApiError ? m.error.fieldErrors() : {}).length ? (
          <ErrorNotice error={m.error} />
        ) : null}
      </Form>
    </Card>
  );
}

function TaskItem({ task }: { task: TaskView }) {
  const { t, i18n } = useTranslation('tasks');
  const session = useShellSession();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const checkId = useId();
  const changed = useInvalidate('tasks', 'activity');
  const toggle = useMutation({
    mutationFn: (done: boolean) => api(updateTask, { params: { taskId: task.id }, body: { status: done ? 'done' : 'open' } }),
    onSuccess: () => changed(),
  });
  const save = useMutation({
    mutationFn: () =>
      api(updateTask, {
        params: { taskId: task.id },
        body: { title: draft.title.trim(), notes: draft.notes, dueAt: dueIso(draft.due), priority: draft.priority },
      }),
    onSuccess: () => {
      setEditing(false);
      return changed();
    },
  });
  const remove = useMutation({ mutationFn: () => api(deleteTask, { params: { taskId: task.id } }), onSuccess: () => changed() });
  const done = task.status === 'done';
  const overdue = !done && task.dueAt && new Date(task.dueAt).getTime() < Date.now();
  if (editing) {
    const errors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
    return (
      <li className="card">
        <Form
          submitLabel={t('save', { ns: 'common' })}
          busy={save.isPending}
          cancel={{ label: t('cancel', { ns: 'common' }), onClick: () => setEditing(false) }}
          onSubmit={() => save.mutate()}
        >
          <TaskFields draft={draft} set={setDraft} errors={errors} family={false} />
          {save.isError && !Object.keys(errors).length ? <ErrorNotice error={save.error} /> : null}
        </Form>
      </li>
    );
  }
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row" style={{ justifyContent: 'flex-start', flexWrap: 'nowrap', alignItems: 'flex-start' }}>
        <input
          id={checkId}
          type="checkbox"
          className="big"
          style={{ marginBlockStart: 4 }}
          checked={done}
          disabled={toggle.isPending}
          onChange={(e) => toggle.mutate(e.target.checked)}
        />
        <label htmlFor={checkId} className={`title${done ? ' done-title' : ''}`} style={{ flex: 1 }} dir="auto">
          {task.title}
          <span className="visually-hidden">{done ? `, ${t('doneA11y')}` : ''}</span>
        </label>
      </div>
      <p className="meta">
        {task.createdByAgent ? <Badge tone="info">{t('byAgent')}</Badge> : null}
        {task.priority !== 'normal' ? (
          <Badge tone={task.priority === 'high' ? 'warn' : undefined}>{t(`priorities.${task.priority}`)}</Badge>
        ) : null}
        {task.dueAt ? (
          <span className={overdue ? 'overdue' : undefined}>
            {overdue ? t('overdue') : t('dueOn')} {formatDateTime(task.dueAt, i18n.language, session.account.timeZone)}
          </span>
        ) : null}
        {done && task.completedAt ? (
          <span>{t('doneOn', { when: formatDateTime(task.completedAt, i18n.language, session.account.timeZone) })}</span>
        ) : null}
        {session.activeSpace.kind === 'family' ? <span>{t(task.visibility)}</span> : null}
        {task.createdBy ? (
          <span>{t(task.createdByAgent ? 'approvedBy' : 'addedBy', { name: bidi(task.createdBy, i18n.language) })}</span>
        ) : null}
      </p>
      {task.notes ? (
        <p style={{ margin: 0, whiteSpace: 'pre-wrap' }} dir="auto">
          {task.notes}
        </p>
      ) : null}
      {task.createdByAgent && task.suggestionId ? (
        <span className="small muted">
          {t('fromSuggestion')} <Link to="/suggestions?tab=done">{t('seeInbox')}</Link>
        </span>
      ) : null}
      <div className="row">
        <ItemButton
          itemName={task.title}
          onClick={() => {
            setDraft({
              title: task.title,
              notes: task.notes,
              due: task.dueAt ? toLocalInput(task.dueAt) : '',
              priority: task.priority,
              visibility: task.visibility,
            });
            save.reset();
            setEditing(true);
          }}
        >
          {t('edit')}
        </ItemButton>
        <DeleteItemButton
          itemName={task.title}
          question={t('deleteQuestion', { title: bidi(task.title, i18n.language) })}
          labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
          mutation={remove}
        />
      </div>
      {toggle.isError ? <ErrorNotice error={toggle.error} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
    </li>
  );
}

export function TasksPage() {
  const { t } = useTranslation('tasks');
  const [tab, setTab] = useTabParam('open', 'done');
  const q = useInfiniteQuery({
    queryKey: ['tasks', tab],
    queryFn: ({ pageParam }) => api(listTasks, { query: { status: tab, limit: 50, cursor: pageParam || undefined } }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <AddTask />
        <Tabs
          label={t('tabsLabel')}
          value={tab}
          onChange={setTab}
          items={[
            { key: 'open', label: t('tabOpen') },
            { key: 'done', label: t('tabDone') },
          ]}
        />
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !items.length ? (
          tab === 'open' ? (
            <EmptyState title={t('emptyOpen')}>{t('emptyOpenHint')}</EmptyState>
          ) : (
            <EmptyState title={t('emptyDone')}>{t('emptyDoneHint')}</EmptyState>
          )
        ) : null}
        <ul className="items" aria-label={tab === 'open' ? t('tabOpen') : t('tabDone')}>
          {items.map((task) => (
            <TaskItem key={task.id} task={task} />
          ))}
        </ul>
        <MoreButton label={t('more')} pages={q} />
      </div>
    </>
  );
}
