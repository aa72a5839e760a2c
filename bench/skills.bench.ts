// Benchmarks of the built-in skills on the local engine, per core: calls per second of this process's
// CPU time (one thread), so a busy shared machine slows the run but does not change the figures much.
// Run: node --import tsx bench/skills.bench.ts [--seconds 3]
// Prints a table, then one JSON line per benchmark: {"bench": ..., "unit": ..., "value": ..., ...}.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runSkill, standaloneSkillContext } from '../server/src/modules/skills/index.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 3;
const root = fileURLToPath(new URL('..', import.meta.url));
const lines = (file: string) =>
  readFileSync(`${root}eval/data/${file}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { input: Record<string, unknown> });

interface Result {
  bench: string;
  unit: string;
  value: number;
  target?: number;
  note: string;
}
const results: Result[] = [];

/**
 * Calls `once` over and over for `seconds` (after a short warm-up) and returns calls per second of
 * this process's CPU time: one core's throughput, whatever else the machine is running meanwhile.
 */
async function throughput(inputs: unknown[], once: (input: unknown) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, inputs.length * 2); i++) await once(inputs[i % inputs.length]);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) await once(inputs[n++ % inputs.length]);
  }
  const cpu = process.cpuUsage(cpu0);
  return n / ((cpu.user + cpu.system) / 1e6);
}

const sctx = standaloneSkillContext({ now: new Date('2026-03-10T14:00:00Z'), timeZone: 'America/New_York' });
const skill = (id: string) => (input: unknown) => runSkill(sctx, id, input);

// A mailbox: the labelled messages plus long ones (an HTML newsletter, a quoted thread).
const mail: unknown[] = lines('triage.jsonl').map((c) => c.input);
const newsletter = `<html><body>${'<table><tr><td><h2>Top story</h2><p>Markets rallied as investors weighed the latest data. Read more.</p></td></tr></table>'.repeat(150)}<p><a href="#">Unsubscribe</a></p></body></html>`;
const thread = `Can you send me the final numbers by Friday?\n\nOn Mon, Mar 9, 2026 at 4:12 PM Sam wrote:\n${'> Here are the numbers for the quarter, line by line.\n'.repeat(100)}`;
for (let i = 0; i < 10; i++) {
  mail.push({ from: 'News <news@shop.example.com>', subject: 'This week', text: newsletter, date: '2026-03-10T09:00:00-05:00' });
  mail.push({ from: 'Mark Chen <mark@acme-corp.com>', subject: 'Re: numbers', text: thread, date: '2026-03-10T09:00:00-05:00' });
}
const triage = await throughput(mail, skill('email.triage'));
results.push({
  bench: 'email.triage',
  unit: 'messages/s/core',
  value: Math.round(triage),
  target: 2000,
  note: `${mail.length} messages (labelled set + 20 long ones), input and output validated`,
});

const dates = lines('dates.jsonl').map((c) => ({ ...c.input, now: `${c.input.now}:00Z` }));
results.push({
  bench: 'dates.extract',
  unit: 'texts/s/core',
  value: Math.round(await throughput(dates, skill('dates.extract'))),
  note: `${dates.length} phrases`,
});
const reminders = lines('reminders.jsonl').map((c) => ({ ...c.input, now: `${c.input.now}:00Z` }));
results.push({
  bench: 'reminders.parse',
  unit: 'reminders/s/core',
  value: Math.round(await throughput(reminders, (i) => skill('reminders.parse')(i).catch(() => null))),
  note: `${reminders.length} phrases`,
});
const shopping = lines('shopping.jsonl').map((c) => c.input);
results.push({
  bench: 'shopping.parse',
  unit: 'lists/s/core',
  value: Math.round(await throughput(shopping, skill('shopping.parse'))),
  note: `${shopping.length} lists`,
});
const invoices = lines('invoice.jsonl').map((c) => c.input);
results.push({
  bench: 'invoice.totals',
  unit: 'invoices/s/core',
  value: Math.round(await throughput(invoices, skill('invoice.totals'))),
  note: `${invoices.length} invoices`,
});

// A busy family calendar: 200 events, a third of them weekly, over a year.
const events = Array.from({ length: 200 }, (_, i) => {
  const day = 1 + (i % 28);
  const hour = 8 + (i % 10);
  const start = `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00-05:00`;
  const end = `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:45:00-05:00`;
  return { id: `e${i}`, start, end, timeZone: 'America/New_York', ...(i % 3 === 0 ? { rrule: 'FREQ=WEEKLY' } : {}) };
});
const calendar = { events, from: '2026-03-01T00:00:00-05:00', to: '2027-03-01T00:00:00-05:00' };
results.push({
  bench: 'calendar.conflicts',
  unit: 'calendars/s/core',
  value: Math.round((await throughput([calendar], skill('calendar.conflicts'))) * 10) / 10,
  note: '200 events (67 weekly) over a year',
});

// `csme skill run`, a fresh process each time (tsx's transform cache warm, as after the first run).
const run = () => {
  const t0 = performance.now();
  spawnSync(process.execPath, [`${root}server/bin/csme.js`, 'skill', 'run', 'dates.extract', '--input', '-'], {
    input: '{"text":"tomorrow at 3pm"}',
    env: { ...process.env, DATABASE_URL: '' },
  });
  return performance.now() - t0;
};
run();
const starts = Array.from({ length: 7 }, run).sort((a, b) => a - b);
results.push({
  bench: 'csme skill run (start to exit)',
  unit: 'ms, median of 7',
  value: Math.round(starts[3]!),
  target: 2000,
  note: `min ${Math.round(starts[0]!)} ms, max ${Math.round(starts[6]!)} ms`,
});

const rows = [
  ['benchmark', 'value', 'unit', 'target', 'note'],
  ...results.map((r) => [r.bench, String(r.value), r.unit, r.target ? String(r.target) : '', r.note]),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const [i, row] of rows.entries()) {
  console.log(`| ${row.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`);
  if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
}
for (const r of results) console.log(JSON.stringify(r));
