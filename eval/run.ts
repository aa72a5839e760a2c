// `npm run eval`: runs the labelled sets in eval/data through the skills on the local engine (no model)
// and prints accuracy per skill, overall and on the held-out third (every third case, never tuned on).
// Exits 1 when a skill misses its target. Flags: --failures (tuning cases that fail), --all-failures, --json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSkill, standaloneSkillContext } from '../server/src/modules/skills/index.js';
import { instantOf, sameDates, samePairs, sameReminder, sameShopping } from './compare.js';

interface Case {
  id: string;
  input: Record<string, unknown>;
  expected: unknown;
}

interface SetDef {
  skill: string;
  file: string;
  /** Share of cases that must be right. */
  target: number;
  check(actual: unknown, expected: unknown, input: Record<string, unknown>): boolean;
}

const zoneOf = (input: Record<string, unknown>) => (input.timeZone as string | undefined) ?? 'UTC';

export const SETS: SetDef[] = [
  {
    skill: 'email.triage',
    file: 'triage.jsonl',
    target: 0.85,
    check: (a, e) => (a as { category: string }).category === (e as { category: string }).category,
  },
  {
    skill: 'dates.extract',
    file: 'dates.jsonl',
    target: 0.95,
    check: (a, e, input) => sameDates(a as never, e as never, zoneOf(input)),
  },
  {
    skill: 'reminders.parse',
    file: 'reminders.jsonl',
    target: 0.95,
    check: (a, e, input) => {
      const exp = e as { error?: string; due: string };
      if (exp.error) return (a as { error?: string }).error === exp.error;
      return !('error' in (a as object)) && sameReminder(a as never, exp, zoneOf(input));
    },
  },
  { skill: 'shopping.parse', file: 'shopping.jsonl', target: 0.9, check: (a, e) => sameShopping(a as never, e as never) },
  { skill: 'invoice.totals', file: 'invoice.jsonl', target: 1, check: (a, e) => JSON.stringify(a) === JSON.stringify(e) },
  { skill: 'calendar.conflicts', file: 'calendar.jsonl', target: 1, check: (a, e) => samePairs(a as never, e as never) },
];

const dataDir = fileURLToPath(new URL('./data/', import.meta.url));

export function loadCases(file: string): Case[] {
  return readFileSync(`${dataDir}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Case);
}

/** The sets write `now` as a wall time in the case's zone; the contract wants an offset. */
function prepare(input: Record<string, unknown>): Record<string, unknown> {
  if (typeof input.now !== 'string') return input;
  return { ...input, now: instantOf(input.now, zoneOf(input)).toISO({ suppressMilliseconds: true }) };
}

export const isHeldOut = (index: number) => index % 3 === 2;

export interface Failure {
  id: string;
  heldOut: boolean;
  input: unknown;
  expected: unknown;
  actual: unknown;
}
export interface SetResult {
  skill: string;
  total: number;
  correct: number;
  heldOutTotal: number;
  heldOutCorrect: number;
  target: number;
  accuracy: number;
  heldOutAccuracy: number;
  met: boolean;
  failures: Failure[];
}

export async function runEval(): Promise<SetResult[]> {
  const results: SetResult[] = [];
  for (const set of SETS) {
    const cases = loadCases(set.file);
    const r: SetResult = {
      skill: set.skill,
      total: 0,
      correct: 0,
      heldOutTotal: 0,
      heldOutCorrect: 0,
      target: set.target,
      accuracy: 0,
      heldOutAccuracy: 0,
      met: false,
      failures: [],
    };
    for (const [i, c] of cases.entries()) {
      const input = prepare(c.input);
      const now = typeof input.now === 'string' ? new Date(input.now) : new Date('2026-03-10T14:00:00Z');
      const sctx = standaloneSkillContext({ now, timeZone: zoneOf(input) });
      let actual: unknown;
      try {
        actual = await runSkill(sctx, set.skill, input);
      } catch (e) {
        actual = { error: (e as { code?: string }).code ?? 'crash', message: (e as Error).message };
      }
      let ok = false;
      try {
        ok = set.check(actual, c.expected, c.input);
      } catch {
        ok = false;
      }
      const held = isHeldOut(i);
      r.total++;
      if (held) r.heldOutTotal++;
      if (ok) {
        r.correct++;
        if (held) r.heldOutCorrect++;
      } else r.failures.push({ id: c.id, heldOut: held, input: c.input, expected: c.expected, actual });
    }
    r.accuracy = r.correct / r.total;
    r.heldOutAccuracy = r.heldOutTotal ? r.heldOutCorrect / r.heldOutTotal : 1;
    r.met = r.accuracy >= set.target;
    results.push(r);
  }
  return results;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function table(results: SetResult[]): string {
  const rows = [
    ['skill', 'cases', 'correct', 'accuracy', 'held-out', 'held-out acc.', 'target', ''],
    ...results.map((r) => [
      r.skill,
      String(r.total),
      String(r.correct),
      pct(r.accuracy),
      `${r.heldOutCorrect}/${r.heldOutTotal}`,
      pct(r.heldOutAccuracy),
      `>= ${pct(r.target)}`,
      r.met ? 'met' : 'MISSED',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = new Set(process.argv.slice(2));
  const results = await runEval();
  if (args.has('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    process.stdout.write(`Skills evaluation on the local engine (eval/data; held-out = every third case)\n\n${table(results)}\n`);
    for (const r of results)
      for (const f of r.failures)
        if (args.has('--all-failures') || (args.has('--failures') && !f.heldOut))
          process.stdout.write(
            `\n${f.id}${f.heldOut ? ' (held-out)' : ''}\n  input:    ${JSON.stringify(f.input)}\n  expected: ${JSON.stringify(f.expected)}\n  actual:   ${JSON.stringify(f.actual)}\n`,
          );
  }
  const missed = results.filter((r) => !r.met);
  if (missed.length) process.stdout.write(`\nMissed: ${missed.map((r) => r.skill).join(', ')}\n`);
  process.exitCode = missed.length ? 1 : 0;
}
