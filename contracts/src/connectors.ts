import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['connectors'];

/** email: IMAP + SMTP; ics: a calendar feed URL (read); caldav: a CalDAV calendar (read/write); feed: RSS/Atom; http: outgoing requests to addresses the person allows. */
export const CONNECTOR_KINDS = ['email', 'ics', 'caldav', 'feed', 'http'] as const;
export const ConnectorKind = z.enum(CONNECTOR_KINDS);
export type ConnectorKind = z.infer<typeof ConnectorKind>;

/** Which kinds the Free plan's "basic connectors" include; the rest need "all connectors". */
export const BASIC_KINDS: readonly ConnectorKind[] = ['email', 'ics', 'feed'];

export const TLS_MODES = ['tls', 'starttls', 'none'] as const;
export const TlsMode = z.enum(TLS_MODES);

const Host = Text(253).pipe(z.string().min(1, 'give the server name'));
const Port = z.number().int().min(1).max(65535);
const Url = Text(2000).pipe(z.string().min(1, 'give the address'));
const Password = z.string().min(1).max(1000);

const Server = z.strictObject({ host: Host, port: Port, tls: TlsMode });

const common = { name: Text(80).pipe(z.string().min(1, 'give it a name')), visibility: Visibility.default('private') };

export const EmailInput = z.strictObject({
  kind: z.literal('email'),
  ...common,
  imap: Server,
  smtp: Server,
  username: Text(320).pipe(z.string().min(1)),
  /** The password or app password; on edit, leave it out to keep the stored one (not when a host changes). */
  password: Password.optional(),
  fromAddress: z.email().max(320).optional(),
  fromName: Text(120).optional(),
});
export const IcsInput = z.strictObject({ kind: z.literal('ics'), ...common, url: Url });
export const CaldavInput = z.strictObject({
  kind: z.literal('caldav'),
  ...common,
  url: Url,
  username: Text(320).pipe(z.string().min(1)),
  password: Password.optional(),
});
export const FeedInput = z.strictObject({ kind: z.literal('feed'), ...common, url: Url });
export const HttpInput = z.strictObject({
  kind: z.literal('http'),
  ...common,
  /** Addresses (scheme, host and path prefix) agents may call, e.g. https://api.example.com/v1/ */
  allow: z.array(Url).min(1).max(20),
  /** An optional header sent with every request (e.g. Authorization), kept encrypted and sent only to the allowed hosts. */
  headerName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name such as Authorization')
    .optional(),
  headerValue: z.string().min(1).max(4000).optional(),
});
export const ConnectorInput = z.discriminatedUnion('kind', [EmailInput, IcsInput, CaldavInput, FeedInput, HttpInput]);
export type ConnectorInput = z.infer<typeof ConnectorInput>;

export const SYNC_PHASES = ['pending', 'initial', 'live', 'idle'] as const;

export const ConnectorHealth = z.object({
  /** pending: not synced yet; initial: indexing what exists (progress below); live: up to date and watching; idle: nothing to watch (http). */
  phase: z.enum(SYNC_PHASES),
  progressDone: z.number().int(),
  progressTotal: z.number().int().nullable(),
  initialSyncedAt: z.string().nullable(),
  lastSyncAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  /** The last problem, in plain words (never a password or a server's raw answer). */
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  /** The credentials stopped working (or the server refuses us): the person must act. */
  needsAttention: z.boolean(),
  /** Items that could not be read (a broken message, a malformed event) and were skipped. */
  itemErrors: z.number().int(),
});
export type ConnectorHealth = z.infer<typeof ConnectorHealth>;

export const ConnectorView = z.object({
  id: Id,
  kind: ConnectorKind,
  name: z.string(),
  visibility: Visibility,
  status: z.enum(['active', 'paused']),
  /** plan_limit: the plan no longer includes this kind (or this many); it resumes when it does. */
  pausedReason: z.string().nullable(),
  host: z.string().nullable(),
  /** What was configured, without secrets. */
  settings: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
  health: ConnectorHealth,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectorView = z.infer<typeof ConnectorView>;

export const listConnectors = endpoint({
  method: 'GET',
  path: '/api/v1/connectors',
  summary: 'Connected accounts of the active space (shared ones and your own), with their health',
  tags,
  response: z.object({ items: z.array(ConnectorView), plan: z.object({ connectors: z.enum(['basic', 'all']) }) }),
});

export const TestResult = z.object({
  ok: z.boolean(),
  /** What worked or what to fix, in plain words. */
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type TestResult = z.infer<typeof TestResult>;

export const testConnector = endpoint({
  method: 'POST',
  path: '/api/v1/connectors/test',
  summary: 'Tries a connection without saving it (credentials go only to the host they are for)',
  tags,
  body: ConnectorInput,
  response: TestResult,
});

export const createConnector = endpoint({
  method: 'POST',
  path: '/api/v1/connectors',
  summary: 'Connects an account: the connection is tested first and saved only when it works',
  tags,
  body: ConnectorInput,
  response: ConnectorView,
  status: 201,
});

const ConnectorParams = z.strictObject({ connectorId: Id });

export const getConnector = endpoint({
  method: 'GET',
  path: '/api/v1/connectors/:connectorId',
  summary: 'One connector and its health',
  tags,
  params: ConnectorParams,
  response: ConnectorView,
});

export const updateConnector = endpoint({
  method: 'PUT',
  path: '/api/v1/connectors/:connectorId',
  summary: 'Changes a connector (tested again before saving; a new host needs its password again)',
  tags,
  params: ConnectorParams,
  body: ConnectorInput,
  response: ConnectorView,
});

export const deleteConnector = endpoint({
  method: 'DELETE',
  path: '/api/v1/connectors/:connectorId',
  summary: 'Disconnects: deletes the connector, its stored credentials and what was indexed from it',
  tags,
  params: ConnectorParams,
  response: z.null(),
  status: 204,
});

export const syncConnector = endpoint({
  method: 'POST',
  path: '/api/v1/connectors/:connectorId/sync',
  summary: 'Syncs now (and clears "needs attention" to try the credentials again)',
  tags,
  params: ConnectorParams,
  response: ConnectorView,
  status: 202,
});

// ---------------------------------------------------------------- files

export const FILE_TYPES = [
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'text/markdown',
  'text/plain',
] as const;
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

export const FileView = z.object({
  id: Id,
  name: z.string(),
  mediaType: z.enum(FILE_TYPES),
  size: z.number().int(),
  visibility: Visibility,
  pages: z.number().int().nullable(),
  textLength: z.number().int(),
  /** Why no text could be taken out, when none could. */
  textError: z.string().nullable(),
  createdAt: z.string(),
});
export type FileView = z.infer<typeof FileView>;

export const listFiles = endpoint({
  method: 'GET',
  path: '/api/v1/files',
  summary: 'Uploaded files (PDF, DOCX, Markdown, text)',
  tags,
  response: z.object({ items: z.array(FileView) }),
});

/** Multipart/form-data: a `file` part, and optionally a `visibility` field. */
export const uploadFile = endpoint({
  method: 'POST',
  path: '/api/v1/files',
  summary: 'Uploads a PDF, DOCX, Markdown or text file (type checked by content; text extracted)',
  tags,
  response: FileView,
  status: 201,
});

const FileParams = z.strictObject({ fileId: Id });

export const getFile = endpoint({
  method: 'GET',
  path: '/api/v1/files/:fileId',
  summary: 'One file with its extracted text',
  tags,
  params: FileParams,
  response: FileView.extend({ text: z.string() }),
});

export const deleteFile = endpoint({
  method: 'DELETE',
  path: '/api/v1/files/:fileId',
  summary: 'Deletes an uploaded file',
  tags,
  params: FileParams,
  response: z.null(),
  status: 204,
});
