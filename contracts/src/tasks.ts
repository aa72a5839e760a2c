import { z } from 'zod';
import { Id, IsoDateTime, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['tasks'];

export const TaskPriority = z.enum(['high', 'normal', 'low']);
export const TaskView = z.object({
  id: Id,
  title: z.string(),
  notes: z.string(),
  dueAt: z.string().nullable(),
  priority: TaskPriority,
  status: z.enum(['open', 'done']),
  completedAt: z.string().nullable(),
  visibility: Visibility,
  createdAt: z.string(),
  createdByAgent: z.boolean(),
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  suggestionId: Id.nullable(),
});
export type TaskView = z.infer<typeof TaskView>;

export const listTasks = endpoint({
  method: 'GET',
  path: '/api/v1/tasks',
  summary: 'Tasks of the active space (shared ones and your own)',
  tags,
  query: z.strictObject({
    status: z.enum(['open', 'done']).default('open'),
    limit: z.coerce.number().int().min(1).max(200).default(100),
    cursor: z.string().max(100).optional(),
  }),
  response: z.object({ items: z.array(TaskView), nextCursor: z.string().nullable() }),
});

export const CreateTaskInput = z.strictObject({
  title: Text(300).pipe(z.string().min(1, 'is required')),
  notes: Text(5000).optional(),
  dueAt: IsoDateTime.nullable().optional(),
  priority: TaskPriority.optional(),
  visibility: Visibility.optional(),
});
export const createTask = endpoint({
  method: 'POST',
  path: '/api/v1/tasks',
  summary: 'Add a task',
  tags,
  body: CreateTaskInput,
  response: TaskView,
  status: 201,
});

const Params = z.strictObject({ taskId: Id });
export const updateTask = endpoint({
  method: 'PATCH',
  path: '/api/v1/tasks/:taskId',
  summary: 'Change or complete a task',
  tags,
  params: Params,
  body: z.strictObject({
    title: Text(300).pipe(z.string().min(1)).optional(),
    notes: Text(5000).optional(),
    dueAt: IsoDateTime.nullable().optional(),
    priority: TaskPriority.optional(),
    status: z.enum(['open', 'done']).optional(),
  }),
  response: TaskView,
});
export const deleteTask = endpoint({
  method: 'DELETE',
  path: '/api/v1/tasks/:taskId',
  summary: 'Delete a task',
  tags,
  params: Params,
  response: z.object({ ok: z.literal(true) }),
});
