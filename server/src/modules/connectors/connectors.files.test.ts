import { crc32 } from 'node:zlib';
import * as C from '@csme/contracts/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

/** A small two-page PDF with real text (Helvetica), written by hand with a correct cross-reference table. */
function pdf(text: string): Promise<Buffer> {
  const page = (_content: string, n: number) =>
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${n} 0 R /Resources << /Font << /F1 7 0 R >> >> >>`;
  const stream = (t: string) => {
    const body = `BT /F1 12 Tf 72 720 Td (${t.replace(/[()\\]/g, '\\$&')}) Tj ET`;
    return `<< /Length ${body.length} >>\nstream\n${body}\nendstream`;
  };
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>',
    page(text, 4),
    stream(text),
    page('Second page.', 6),
    stream('Second page.'),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Promise.resolve(Buffer.from(out, 'latin1'));
}

/** A minimal DOCX: a ZIP (stored entries) with the parts Word needs. */
function docx(paragraphs: string[]): Buffer {
  const files: Record<string, string> = {
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs
      .map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`)
      .join('')}</w:body></w:document>`,
  };
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

async function upload(client: TestClient, name: string, bytes: Buffer, type = 'application/octet-stream') {
  const boundary = `----csme${Math.random().toString(36).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`),
    bytes,
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
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('uploaded files', () => {
  it('takes text out of PDF, DOCX, Markdown and text files, decided by content, and raises document.uploaded', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const p = await upload(client, 'lecture.pdf', await pdf('Photosynthesis turns light into chemical energy.'));
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ mediaType: 'application/pdf', pages: 2, textError: null });
    const d = await upload(client, 'notes.docx', docx(['Mitochondria are the powerhouse of the cell.', 'Second paragraph.']));
    expect(d.body).toMatchObject({ mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
    const m = await upload(client, 'plan.md', Buffer.from('# Plan\n\n- revise chapter 2\n'));
    expect(m.body.mediaType).toBe('text/markdown');
    // A PDF named .txt is still a PDF; an executable named .pdf is refused.
    const renamed = await upload(client, 'not-really.txt', await pdf('Hidden PDF'));
    expect(renamed.body.mediaType).toBe('application/pdf');
    const exe = await upload(client, 'invoice.pdf', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]));
    expect(exe.status).toBe(415);
    expect(exe.body.error.message).toMatch(/PDF, a Word document/);

    const full = await client.ok(C.getFile, { params: { fileId: p.body.id } });
    expect(full.text).toContain('Photosynthesis turns light into chemical energy.');
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
    const read = (await invokeSkill(findSkill(env.deps.modules, 'files.read-text')!, sctx, { fileId: d.body.id })) as { text: string };
    expect(read.text).toContain('Mitochondria are the powerhouse of the cell.');
    const events = await env.deps.db.selectFrom('agent_event').select(['type', 'data']).where('space_id', '=', spaceId).execute();
    expect(events.filter((e) => e.type === 'document.uploaded')).toHaveLength(4);
    const list = await client.ok(C.listFiles);
    expect(list.items).toHaveLength(4);
    await client.ok(C.deleteFile, { params: { fileId: m.body.id } });
    expect((await client.ok(C.listFiles)).items).toHaveLength(3);
  });

  it('keeps a damaged PDF with a plain-words note, and hides files from other spaces', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const bad = await upload(a.client, 'broken.pdf', Buffer.from('%PDF-1.7\nthis is not really a pdf'));
    expect(bad.status).toBe(201);
    expect(bad.body.textError).toMatch(/damaged or protected/);
    expect((await b.client.call(C.getFile, { params: { fileId: bad.body.id } })).status).toBe(404);
    expect((await b.client.call(C.deleteFile, { params: { fileId: bad.body.id } })).status).toBe(404);
  });
});
