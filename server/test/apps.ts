import { switchSpace } from '@csme/contracts/accounts';
import * as C from '@csme/contracts/connectors';
import { systemCtx } from '../src/core/ctx.js';
import { newId } from '../src/core/ids.js';
import { createFamily } from '../src/modules/admin/index.js';
import { signedUpClient, type TestClient, type TestEnv } from './harness.js';

/** Uploads a file through the files API, as the web app does (multipart, a part named "file"). */
export async function uploadFile(client: TestClient, name: string, bytes: Buffer | string, type = 'application/octet-stream') {
  const boundary = `----csme${Math.random().toString(36).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`),
    typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await client.app.inject({
    method: 'POST',
    url: C.uploadFile.path,
    headers: {
      cookie: client.cookie ?? '',
      'x-csrf-token': client.csrf ?? '',
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload,
  });
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body) as { id: string; name: string };
}

/** A family space with a parent (owner), another adult and a child, each switched into it. */
export async function familyOf(env: TestEnv) {
  const app = await env.app();
  const parent = await signedUpClient(app, { name: 'Parent' });
  const other = await signedUpClient(app, { name: 'Other adult' });
  const kid = await signedUpClient(app, { name: 'Kid' });
  const { spaceId } = await createFamily(systemCtx(env.deps), parent.email);
  await env.deps.db
    .insertInto('membership')
    .values([
      { id: newId(), space_id: spaceId, account_id: other.accountId, role: 'adult' },
      { id: newId(), space_id: spaceId, account_id: kid.accountId, role: 'child' },
    ])
    .execute();
  for (const c of [parent, other, kid]) await c.client.ok(switchSpace, { body: { spaceId } });
  return { spaceId, parent, other, kid };
}
