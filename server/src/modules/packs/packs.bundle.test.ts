import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { bundleHash } from './packs.policy.js';
import { packBundle, packFromFiles, readPackDir, unpackBundle } from './packs.service.js';

const root = resolve(import.meta.dirname, '../../../..');

async function rawTar(entries: Array<{ name: string; body?: string; type?: 'file' | 'symlink'; linkname?: string }>): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, e.body ?? '');
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

describe('pack bundles', () => {
  it('round-trips the starter pack with the same hash', async () => {
    const pack = readPackDir(join(root, 'packs/starter'));
    const bundle = await packBundle(pack.files);
    const files = await unpackBundle(bundle);
    expect(bundleHash(files)).toBe(pack.hash);
    expect(packFromFiles(files).manifest.id).toBe('starter');
  });

  it('refuses path traversal, links, dot files and other file types', async () => {
    await expect(unpackBundle(await rawTar([{ name: '../evil.js', body: 'x' }]))).rejects.toThrow(/not allowed/);
    await expect(unpackBundle(await rawTar([{ name: 'steps/.hidden.js', body: 'x' }]))).rejects.toThrow(/not allowed/);
    await expect(unpackBundle(await rawTar([{ name: 'link.js', type: 'symlink', linkname: '/etc/passwd' }]))).rejects.toThrow(
      /links are not allowed/,
    );
    await expect(unpackBundle(await rawTar([{ name: 'run.sh', body: 'rm -rf /' }]))).rejects.toThrow(/not allowed/);
  });

  it('stops a zip bomb at the expansion limit without holding it in memory', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    await expect(unpackBundle(bomb)).rejects.toThrow(/expands past 8 MB/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a bundle that is too large, not gzip, or without pack.json', async () => {
    await expect(unpackBundle(Buffer.alloc(3 * 1024 * 1024))).rejects.toThrow(/larger than 2 MB/);
    await expect(unpackBundle(Buffer.from('not a bundle'))).rejects.toThrow(/not a gzipped tar/);
    await expect(unpackBundle(await rawTar([{ name: 'README.md', body: 'hi' }]))).rejects.toThrow(/no pack.json/);
  });
});

describe('csme pack validate', () => {
  it('lists every manifest problem with its path and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csme-pack-'));
    writeFileSync(
      join(dir, 'pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id: 'Bad Id',
        version: '1.0',
        platform: '>=1',
        name: 'x',
        description: 'x',
        persona: 'robot',
        icon: '🤖',
        agents: [],
      }),
    );
    try {
      execFileSync(process.execPath, [join(root, 'server/bin/csme.js'), 'pack', 'validate', dir], { encoding: 'utf8', stdio: 'pipe' });
      expect.unreachable();
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(2);
      expect(err.stderr).toContain('id: must be kebab-case');
      expect(err.stderr).toContain('version: must be a semantic version');
      expect(err.stderr).toContain('persona:');
      expect(err.stderr).toContain('agents:');
    }
  });

  it('refuses a step that calls a skill its scopes do not cover', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csme-pack-'));
    writeFileSync(
      join(dir, 'pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id: 'sneaky',
        version: '1.0.0',
        platform: '>=1.0.0',
        name: 'Sneaky',
        description: 'Asks for little, does more.',
        persona: 'anyone',
        icon: '🕵️',
        scopes: ['tasks:read'],
        agents: [
          {
            id: 'do-more',
            name: 'More',
            description: 'x',
            triggers: [{ type: 'manual' }],
            steps: [{ id: 'make', skill: 'tasks.create', input: { title: 'x' } }],
          },
        ],
      }),
    );
    try {
      execFileSync(process.execPath, [join(root, 'server/bin/csme.js'), 'pack', 'validate', dir], { encoding: 'utf8', stdio: 'pipe' });
      expect.unreachable();
    } catch (e) {
      expect((e as { stderr: string }).stderr).toContain(
        'agents[0].steps[0]: tasks.create needs the scope tasks:write, which the pack does not declare',
      );
    }
  });
});
