import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSkill, runSkill, standaloneSkillContext } from './index.js';

const root = resolve(import.meta.dirname, '../../../..');
const csme = join(root, 'server/bin/csme.js');
const dir = mkdtempSync(join(tmpdir(), 'csme-skill-cli-'));
// No database, no keys, no server: an empty data dir and no DATABASE_URL, in a folder with no .env.
const env = { ...process.env, CSME_DATA_DIR: join(dir, 'data'), DATABASE_URL: '', TZ: 'UTC' };

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [csme, ...args], { cwd: dir, env, input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cliAsync(args: string[], input: string) {
  return new Promise<{ code: number | null; out: string }>((res) => {
    const c = spawn(process.execPath, [csme, ...args], { cwd: dir, env });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => res({ code, out }));
    c.stdin.end(input);
  });
}

const reminder = {
  text: 'remind Dana to take the bins out every Tuesday at 7pm',
  now: '2026-03-10T10:00:00-04:00',
  timeZone: 'America/New_York',
  members: ['Dana'],
};

beforeAll(() => {
  writeFileSync(join(dir, 'reminder.json'), JSON.stringify(reminder));
  cli(['skill', 'list']); // warm tsx's transform cache, as any second run has it
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('csme skill', () => {
  it('lists the skills with their descriptions', () => {
    const r = cli(['skill', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^calendar\.conflicts\s+Pairs of events/m);
    expect(r.out.trim().split('\n')).toHaveLength(9);
  });

  // How quickly it starts is measured by `npm run bench` (csme skill run, start to exit); what keeps it quick
  // is checked here: it starts no database and writes no data directory.
  it('runs a skill without a database, a server or a data directory', () => {
    const r = cli(['skill', 'run', 'invoice.totals', '--input', '-'], '{"lines":[],"currency":"USD"}');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out)).toMatchObject({ subtotal: 0, total: 0 });
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('prints the skill’s output, exactly, as JSON on stdout, from a file or standard input', async () => {
    const expected = await runSkill(standaloneSkillContext(), getSkill('reminders.parse'), reminder);
    const fromFile = cli(['skill', 'run', 'reminders.parse', '--input', 'reminder.json']);
    expect([fromFile.code, fromFile.err]).toEqual([0, '']);
    expect(fromFile.out).toBe(`${JSON.stringify(expected)}\n`);
    const fromStdin = cli(['skill', 'run', 'reminders.parse', '--input', '-'], JSON.stringify(reminder));
    expect(fromStdin.out).toBe(fromFile.out);
  });

  it('fails bad input with exit code 2 and the error as JSON on stderr', () => {
    const contract = cli(['skill', 'run', 'reminders.parse', '--input', '-'], '{"text": 42}');
    expect(contract.code).toBe(2);
    expect(contract.out).toBe('');
    expect(JSON.parse(contract.err)).toEqual({
      error: {
        code: 'invalid_input',
        message: expect.stringContaining('text'),
        details: { skill: 'reminders.parse', issues: [{ path: 'text', message: expect.any(String) }] },
      },
    });
    const notJson = cli(['skill', 'run', 'reminders.parse', '--input', '-'], '{oops');
    expect([notJson.code, JSON.parse(notJson.err).error.code]).toEqual([2, 'invalid_input']);
    const noFile = cli(['skill', 'run', 'reminders.parse', '--input', 'missing.json']);
    expect([noFile.code, JSON.parse(noFile.err).error.code]).toEqual([2, 'invalid_input']);
    const noSkill = cli(['skill', 'run', 'no.such', '--input', 'reminder.json']);
    expect([noSkill.code, JSON.parse(noSkill.err).error.code]).toEqual([2, 'not_found']);
    const noInput = cli(['skill', 'run', 'reminders.parse']);
    expect([noInput.code, JSON.parse(noInput.err).error.code]).toEqual([2, 'invalid_input']);
  });

  it('runs side by side', async () => {
    const runs = await Promise.all(
      ['dates.extract', 'shopping.parse', 'dates.extract', 'shopping.parse'].map((id) =>
        cliAsync(
          ['skill', 'run', id, '--input', '-'],
          JSON.stringify({
            text: '2 litres of milk tomorrow',
            ...(id === 'dates.extract' ? { now: '2026-03-10T10:00:00Z', timeZone: 'UTC' } : {}),
          }),
        ),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs[0]!.out).toBe(runs[2]!.out);
    expect(JSON.parse(runs[1]!.out)).toEqual([{ name: 'milk', quantity: 2, unit: 'l', category: 'dairy' }]);
  });
});
