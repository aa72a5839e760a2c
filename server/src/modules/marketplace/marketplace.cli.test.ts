import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createApiToken } from '@csme/contracts/accounts';
import * as M from '@csme/contracts/marketplace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '#test/harness.js';
import { creatorClient } from '#test/marketplace.js';

const root = resolve(import.meta.dirname, '../../../..');
const csme = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [join(root, 'server/bin/csme.js'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

let env: TestEnv;
let url: string;

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => env.close());

describe('csme pack init, test and publish', () => {
  it('scaffolds a pack that tests green, publishes it with a token, and reports a failing fixture and a refused bundle', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'csme-cli-')), 'hello');
    const init = await csme(['pack', 'init', dir, '--id', 'cli-hello', '--name', 'CLI hello']);
    expect(init.stdout).toContain('Created pack.json, steps/count.js, fixtures/two-open-tasks.json');
    const test = await csme(['pack', 'test', dir]);
    expect(test.stdout).toContain('✓ two-open-tasks.json: 2 steps, 1 suggestion');
    expect(test.stdout).toContain('1 passed, 0 failed');

    writeFileSync(
      join(dir, 'fixtures/wrong.json'),
      JSON.stringify({ agent: 'open-tasks', skills: { 'tasks.list': { tasks: [] } }, expect: { 'steps.count.output.open': 3 } }),
    );
    const failing = (await csme(['pack', 'test', dir]).catch((e) => e)) as { code: number; stdout: string };
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('✗ wrong.json');
    expect(failing.stdout).toContain('steps.count.output.open: expected 3, got 0');

    const creator = await creatorClient(env);
    const { token } = await creator.client.ok(createApiToken, { body: { name: 'cli', scopes: ['packs:publish'] } });
    const pub = await csme(['pack', 'publish', dir, '--url', url, '--changelog', 'First.'], { CSME_TOKEN: token });
    expect(pub.stdout).toContain("Submitted cli-hello@0.1.0: it passed the automated checks and waits for an operator's review.");
    const queue = await creator.operator.ok(M.adminListSubmissions, { query: { status: 'pending' } });
    expect(queue.items.map((s) => `${s.packId}@${s.version}`)).toContain('cli-hello@0.1.0');

    // A version whose code tries to reach the host is refused with the reason.
    const pack = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8'));
    writeFileSync(join(dir, 'pack.json'), JSON.stringify({ ...pack, version: '0.2.0' }));
    writeFileSync(join(dir, 'steps/count.js'), "async function main() { return require('fs').readFileSync('/etc/passwd', 'utf8'); }\n");
    const refused = (await csme(['pack', 'publish', dir, '--url', url], { CSME_TOKEN: token }).catch((e) => e)) as {
      code: number;
      stderr: string;
    };
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sandbox_escape: steps/count.js uses require()');
    const noToken = (await csme(['pack', 'publish', dir, '--url', url], { CSME_TOKEN: '' }).catch((e) => e)) as {
      code: number;
      stderr: string;
    };
    expect(noToken.stderr).toContain('set CSME_TOKEN');
  }, 120_000);
});
