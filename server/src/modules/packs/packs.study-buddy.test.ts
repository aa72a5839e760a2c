import { updateAccount } from '@csme/contracts/accounts';
import * as K from '@csme/contracts/cards';
import * as D from '@csme/contracts/documents';
import { listNotifications } from '@csme/contracts/inbox';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { approveSuggestion, getSuggestion, listSuggestions, type SuggestionView } from '@csme/contracts/suggestions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardsSetting } from '#modules/apps/index.js';
import { uploadFile } from '#test/apps.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

// Study Buddy on the local engine: an upload becomes a summarised study document and a set of quiz
// cards to approve, the daily review says what is due, and the learning plan proposes sessions
// before the exam at the chosen time, in the person's time zone.

let env: TestEnv;
const SCOPES = [
  'files:read',
  'documents:read',
  'documents:write',
  'cards:read',
  'cards:write',
  'calendar:read',
  'calendar:write',
  'notify',
];
const LECTURE = `The French Revolution began in 1789 and transformed France.
The Estates-General met at Versailles in May 1789 for the first time since 1614.
On 14 July 1789 crowds in Paris stormed the Bastille, a royal fortress and prison.
The National Assembly adopted the Declaration of the Rights of Man and of the Citizen in August 1789.
King Louis XVI was executed in January 1793 after the monarchy was abolished.
The Reign of Terror, led by Maximilien Robespierre, lasted until July 1794.
Napoleon Bonaparte seized power in the coup of 18 Brumaire in 1799.`;

async function pending(c: TestClient, agentId: string, skillId: string): Promise<SuggestionView[]> {
  return eventually(async () => {
    const found = (await c.ok(listSuggestions, { query: { status: 'pending' } })).items.filter(
      (s) => s.agentId === agentId && s.skillId === skillId,
    );
    return found.length ? found : undefined;
  }, `a ${skillId} suggestion`);
}

let person: Awaited<ReturnType<typeof signedUpClient>>;
let agents: Record<string, string>;

beforeAll(async () => {
  env = await createTestEnv();
  await env.deps.settings.set(env.deps.db, cardsSetting, { newPerSession: 20, fuzz: false }, null);
  env.deps.settings.invalidate();
  await env.worker();
  person = await signedUpClient(await env.app(), { name: 'Lea Student' });
  const inst = await person.client.ok(P.installPack, {
    params: { packId: 'study-buddy' },
    body: { settings: { studyTime: '17:00', sessionsPerExam: 3 }, grantedScopes: SCOPES },
  });
  agents = Object.fromEntries(inst.agents.map((a) => [a.key, a.id]));
  expect(inst.agents.map((a) => [a.key, a.enabled])).toEqual([
    ['digest', true],
    ['daily-review', true],
    ['learning-plan', true],
  ]);
});
afterAll(() => env.close());

describe('Study Buddy', () => {
  it('summarises an upload at once and proposes quiz cards from it, made on approval', async () => {
    const file = await uploadFile(person.client, 'french-revolution.md', LECTURE);
    const doc = await eventually(
      async () => (await person.client.ok(D.listDocuments)).items.find((d) => d.fileId === file.id),
      'the study document',
    );
    expect(doc).toMatchObject({ title: 'french-revolution', createdByAgent: true, cardCount: 0 });
    expect(doc.summary).toContain('1789');
    const [s] = await pending(person.client, agents.digest!, 'cards.add');
    expect(s!.title).toMatch(/^Add \d+ study cards from french-revolution$/);
    const note = await eventually(
      async () => (await person.client.ok(listNotifications)).items.find((n) => n.title === 'Summary of french-revolution'),
      'the summary notification',
    );
    expect(note.body).toContain('study cards wait for your approval');
    await person.client.ok(approveSuggestion, { params: { suggestionId: s!.id }, body: { hash: s!.actionHash } });
    await eventually(
      async () => (await person.client.ok(getSuggestion, { params: { suggestionId: s!.id } })).status === 'done',
      'the cards',
    );
    const after = (await person.client.ok(D.listDocuments)).items.find((d) => d.id === doc.id)!;
    expect(after.cardCount).toBe((s!.action as { cards: unknown[] }).cards.length);
    const cards = (await person.client.ok(K.listDeckCards, { params: { deckId: after.deckId! } })).items;
    for (const c of cards) expect(LECTURE).toContain(c.answer);
  });

  it('reminds of the cards due for review', async () => {
    await person.client.ok(runAgentNow, { params: { agentId: agents['daily-review']! }, body: {} });
    const note = await eventually(
      async () => (await person.client.ok(listNotifications)).items.find((n) => /cards to review today/.test(n.title)),
      'the review reminder',
    );
    expect(note.title).toMatch(/^0 cards to review today, and \d+ new$/);
    expect(note.url).toBe('/study/review');
  });

  it('plans study sessions before the exam at the chosen time and proposes each for the calendar', async () => {
    const doc = (await person.client.ok(D.listDocuments)).items[0]!;
    await person.client.ok(updateAccount, { body: { timeZone: 'Europe/Berlin' } });
    await person.client.ok(D.updateDocument, { params: { documentId: doc.id }, body: { examDate: '2026-03-31' } });
    const run = await person.client.ok(runAgentNow, { params: { agentId: agents['learning-plan']! }, body: {} });
    // The run proposes its sessions one by one: read them once it has finished.
    await eventually(
      async () => (await person.client.ok(getRun, { params: { runId: run.id } })).status === 'succeeded',
      'the learning plan run to finish',
    );
    const sessions = await pending(person.client, agents['learning-plan']!, 'calendar.create-event');
    const times = sessions.map((s) => (s.action as { startsAt: string }).startsAt).sort();
    // Three sessions, on the 3rd, 2nd and 1st day before the exam, at 17:00 in Berlin: summer time starts on the 29th.
    expect(times).toEqual(['2026-03-28T17:00:00+01:00', '2026-03-29T17:00:00+02:00', '2026-03-30T17:00:00+02:00']);
    expect(sessions[0]!.title).toBe('Add an event: Study: french-revolution');
  });
});
