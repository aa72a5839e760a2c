import * as M from '@csme/contracts/marketplace';
import { uninstallPack } from '@csme/contracts/packs';
import { runAgentNow } from '@csme/contracts/runs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { creatorClient, publish, samplePack } from '#test/marketplace.js';
import { renderMarkdown } from './marketplace.policy.js';

let env: TestEnv;
let creator: Awaited<ReturnType<typeof creatorClient>>;
let operator: TestClient;

beforeAll(async () => {
  env = await createTestEnv();
  await env.worker();
  creator = await creatorClient(env);
  operator = creator.operator;
  await publish(
    creator.client,
    operator,
    samplePack({ id: 'exam-flashcards', name: 'Study buddy', persona: 'student', categories: ['study'] }),
  );
  await publish(
    creator.client,
    operator,
    samplePack({ id: 'invoice-nudge', name: 'Invoice nudge', persona: 'freelancer', categories: ['money'] }),
  );
});
afterAll(() => env.close());

describe('listings', () => {
  it('renders Markdown safely: no script, no javascript: links, no raw HTML', () => {
    const html = renderMarkdown(
      '# Hi\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) [ok](https://example.org) <img src=x onerror=alert(1)>\n\n[data](data:text/html;base64,PHNjcmlwdD4=)',
    );
    // Neutralised: what was markup is shown as text; no tag, handler or dangerous link survives.
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/href="(javascript|data):/);
    expect(html).not.toMatch(/<[^>]+\son\w+=/);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<a href="https://example.org" rel="nofollow noopener noreferrer ugc" target="_blank">ok</a>');
    expect(html).toContain('<h2>Hi</h2>');
  });

  it('refuses listing text with a javascript: link or a denied word, and keeps the description it renders safe', async () => {
    const bad = await creator.client.call(M.updateListing, {
      params: { packId: 'exam-flashcards' },
      body: { title: 'Study buddy', descriptionMd: 'Try [this](javascript:alert(document.cookie))', priceModel: 'free' },
    });
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toContain('javascript:');
    const rude = await creator.client.call(M.updateListing, {
      params: { packId: 'exam-flashcards' },
      body: { title: 'Shit happens', priceModel: 'free' },
    });
    expect(rude.status).toBe(400);
    expect(rude.error?.message).toContain('is not allowed in listings');
    await creator.client.ok(M.updateListing, {
      params: { packId: 'exam-flashcards' },
      body: {
        title: 'Study buddy',
        tagline: 'Flashcards that stick',
        descriptionMd: '**Learn** faster.\n\n<b onclick="x()">raw</b>',
        categories: ['Study', 'cards'],
        priceModel: 'free',
      },
    });
    const l = await creator.client.ok(M.getListing, { params: { packId: 'exam-flashcards' } });
    expect(l.descriptionHtml).toContain('<strong>Learn</strong>');
    expect(l.descriptionHtml).not.toMatch(/<[^>]+\son\w+=/);
    expect(l.descriptionHtml).toContain('&lt;b onclick');
    expect(l.categories).toEqual(['study', 'cards']);
  });

  it('takes screenshots that are really images, and serves them', async () => {
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0c8c2e30000000049454e44ae426082',
      'hex',
    );
    const fake = await creator.client.call(M.addScreenshot, {
      params: { packId: 'exam-flashcards' },
      body: { contentType: 'image/png', data: Buffer.from('<svg onload=alert(1)>').toString('base64') },
    });
    expect(fake.status).toBe(400);
    const ok = await creator.client.ok(M.addScreenshot, {
      params: { packId: 'exam-flashcards' },
      body: { contentType: 'image/png', data: png.toString('base64'), caption: 'Today' },
    });
    const app = await env.app();
    const img = await app.inject({ method: 'GET', url: ok.screenshots[0]!.url, headers: { cookie: creator.client.cookie! } });
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(img.headers['x-content-type-options']).toBe('nosniff');
    expect(img.rawPayload.equals(png)).toBe(true);
  });

  it('searches, filters and sorts', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Searcher' });
    const all = await p.client.ok(M.listListings, { query: {} });
    expect(all.items.map((i) => i.packId).sort()).toEqual(['exam-flashcards', 'invoice-nudge']);
    expect(all.categories).toEqual(expect.arrayContaining(['study', 'money']));
    expect((await p.client.ok(M.listListings, { query: { persona: 'freelancer' } })).items.map((i) => i.packId)).toEqual(['invoice-nudge']);
    expect((await p.client.ok(M.listListings, { query: { category: 'study' } })).items.map((i) => i.packId)).toEqual(['exam-flashcards']);
    expect((await p.client.ok(M.listListings, { query: { q: 'flashcards' } })).items.map((i) => i.packId)).toEqual(['exam-flashcards']);
    expect((await p.client.ok(M.listListings, { query: { price: 'paid' } })).items).toEqual([]);
    expect((await p.client.ok(M.listListings, { query: { q: '%' } })).items).toEqual([]);
    expect((await p.client.ok(M.listListings, { query: { sort: 'new', limit: 1 } })).nextCursor).toBe('1');
  });
});

describe('ratings and reviews', () => {
  it('come only from people who installed the pack, one per person; the creator replies; operators hide abuse', async () => {
    const never = await signedUpClient(await env.app(), { name: 'Never Installed' });
    const r0 = await never.client.call(M.putReview, { params: { packId: 'exam-flashcards' }, body: { rating: 1, body: 'bad' } });
    expect(r0.status).toBe(403);
    expect(r0.error?.message).toBe('Only people who installed this pack can review it.');
    const user = await signedUpClient(await env.app(), { name: 'Yael Reviewer' });
    await user.client.ok(M.installListing, { params: { packId: 'exam-flashcards' }, body: { grantedScopes: ['tasks:read', 'notify'] } });
    const first = await user.client.ok(M.putReview, { params: { packId: 'exam-flashcards' }, body: { rating: 3, body: 'Good start.' } });
    const again = await user.client.ok(M.putReview, { params: { packId: 'exam-flashcards' }, body: { rating: 5, body: 'Now great.' } });
    expect(again.id).toBe(first.id);
    const list = await user.client.ok(M.listReviews, { params: { packId: 'exam-flashcards' }, query: {} });
    expect(list.items).toMatchObject([{ rating: 5, body: 'Now great.', author: 'Yael Reviewer', mine: true }]);
    const own = await creator.client.call(M.putReview, { params: { packId: 'exam-flashcards' }, body: { rating: 5 } });
    expect(own.status).toBe(403);
    const reply = await creator.client.ok(M.replyToReview, { params: { reviewId: first.id }, body: { reply: 'Thank you!' } });
    expect(reply.reply).toBe('Thank you!');
    expect((await user.client.call(M.replyToReview, { params: { reviewId: first.id }, body: { reply: 'me too' } })).status).toBe(404);
    await operator.ok(M.adminHideReview, { params: { reviewId: first.id }, body: { hidden: true, reason: 'abuse' } });
    expect((await never.client.ok(M.listReviews, { params: { packId: 'exam-flashcards' }, query: {} })).items).toEqual([]);
    expect((await never.client.ok(M.getListing, { params: { packId: 'exam-flashcards' } })).rating).toEqual({ average: null, count: 0 });
  });
});

describe('creator analytics', () => {
  it('withholds behaviour figures drawn from fewer than 5 spaces, and shows them from 5 on', async () => {
    const people: Awaited<ReturnType<typeof signedUpClient>>[] = [];
    const runIn = async (p: (typeof people)[number]) => {
      const inst = await p.client.ok(M.installListing, {
        params: { packId: 'invoice-nudge' },
        body: { grantedScopes: ['tasks:read', 'notify'] },
      });
      const run = await p.client.ok(runAgentNow, { params: { agentId: inst.agents[0]!.id }, body: {} });
      await eventually(async () => {
        const r = await env.deps.db.selectFrom('agent_run').select('status').where('id', '=', run.id).executeTakeFirst();
        return r && (r.status === 'succeeded' || r.status === 'failed');
      }, 'the run');
      await p.client.ok(uninstallPack, { params: { installationId: inst.id } });
      await p.client.ok(M.sendUninstallFeedback, { body: { installationId: inst.id, reason: 'not_useful' } });
    };
    for (let i = 0; i < 4; i++) {
      const p = await signedUpClient(await env.app(), { name: `Person ${i}` });
      people.push(p);
      await runIn(p);
    }
    const four = await creator.client.ok(M.getAnalytics, { params: { packId: 'invoice-nudge' }, query: {} });
    expect(four.minSpaces).toBe(5);
    expect(four.totals).toMatchObject({ installs: 4, uninstalls: 4, activeInstalls: 0, runs: null, successRate: null });
    expect(four.runsByDay.at(-1)).toMatchObject({ runs: null, successRate: null });
    expect(four.uninstallReasons).toEqual([]);
    expect(four.uninstallReasonsWithheld).toBe(4);
    const csv4 = await (await env.app()).inject({
      method: 'GET',
      url: '/api/v1/creator/packs/invoice-nudge/analytics.csv',
      headers: { cookie: creator.client.cookie! },
    });
    expect(csv4.body.trim().split('\r\n').at(-1)).toContain(',4,4,withheld,withheld,');

    const fifth = await signedUpClient(await env.app(), { name: 'Person 5' });
    await runIn(fifth);
    const five = await creator.client.ok(M.getAnalytics, { params: { packId: 'invoice-nudge' }, query: {} });
    expect(five.totals).toMatchObject({ installs: 5, runs: 5, successRate: 1 });
    expect(five.runsByDay.at(-1)).toMatchObject({ runs: 5, successRate: 1 });
    expect(five.uninstallReasons).toEqual([{ reason: 'not_useful', count: 5 }]);
    expect(five.uninstallReasonsWithheld).toBe(0);
    expect(JSON.stringify(five)).not.toContain(fifth.spaceId);
    // Feedback is one's own: another space cannot send it for an installation that is not theirs.
    expect(
      (
        await fifth.client.call(M.sendUninstallFeedback, {
          body: { installationId: '01900000-0000-7000-8000-000000000000', reason: 'other' },
        })
      ).status,
    ).toBe(404);
  }, 120_000);
});
