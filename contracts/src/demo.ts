import { z } from 'zod';
import { endpoint } from './http.js';

const tags = ['demo'];

export const DemoStatus = z.object({
  present: z.boolean(),
  counts: z.record(z.string(), z.number().int()),
});
export type DemoStatus = z.infer<typeof DemoStatus>;

export const getDemo = endpoint({
  method: 'GET',
  path: '/api/v1/demo',
  summary: 'Whether the active space holds sample data, and how much',
  tags,
  response: DemoStatus,
});
export const createDemo = endpoint({
  method: 'POST',
  path: '/api/v1/demo',
  summary: 'Fill the active space with sample data (a mailbox, a calendar, a family shopping list), all marked as demo',
  tags,
  response: DemoStatus,
  status: 201,
});
export const deleteDemo = endpoint({
  method: 'DELETE',
  path: '/api/v1/demo',
  summary: 'Remove every piece of sample data from the active space (what you made yourself stays)',
  tags,
  response: DemoStatus,
});
