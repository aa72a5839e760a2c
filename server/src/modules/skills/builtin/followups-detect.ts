import { FollowupsDetectInput, FollowupsDetectOutput } from '@csme/contracts/skills';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import { defineSkill } from '#core/skill.js';
import { htmlToText, looksLikeHtml, sentencesOf, withoutQuotes } from './text.js';
import { instantIn, isoInstant } from './time.js';

type Input = z.output<typeof FollowupsDetectInput>;
type Output = z.input<typeof FollowupsDetectOutput>;

const ASKS =
  /\?|\b(?:can\s+you|could\s+you|would\s+you|will\s+you|please\s+(?:let|send|confirm|review|share|advise|reply|get\s+back|update|check)|let\s+me\s+know|lmk|get\s+back\s+to\s+me|(?:your|any)\s+(?:thoughts|feedback|update|answer|decision|input)|waiting\s+(?:for|on)\s+your|looking\s+forward\s+to\s+(?:your|hearing)|i(?:'d|\s+would)\s+appreciate|please\s+advise|kindly\s+(?:confirm|advise|send|reply))/i;

function addressOf(from: string): string {
  const m = /<([^>]+)>/.exec(from);
  return (m ? m[1]! : from).trim().toLowerCase();
}
function nameOf(from: string): string {
  const m = /^\s*"?([^"<]+?)"?\s*</.exec(from);
  const name = m
    ? m[1]!.trim()
    : addressOf(from)
        .split('@')[0]!
        .replace(/[._-]+/g, ' ');
  return name.split(/\s+/)[0]!.replace(/^\w/, (c) => c.toUpperCase());
}

/** The question of a message, if it asks one: the sentence that asks, else null. */
function questionOf(text: string): string | null {
  const body = withoutQuotes(looksLikeHtml(text) ? htmlToText(text) : text).slice(0, 20_000);
  if (!ASKS.test(body)) return null;
  return sentencesOf(body).find((s) => ASKS.test(s)) ?? body.trim().slice(0, 200);
}

function detectFollowups(input: Input, now: DateTime): Output {
  const mine = new Set((Array.isArray(input.me) ? input.me : [input.me]).map(addressOf));
  const out: Output = [];
  for (const thread of input.threads) {
    const at = (m: { date: string }) => instantIn(m.date, now.zoneName ?? 'UTC').toMillis();
    const messages = [...thread.messages].sort((a, b) => at(a) - at(b));
    const last = messages[messages.length - 1];
    if (!last) continue;
    const sent = instantIn(last.date, now.zoneName ?? 'UTC');
    if (now.diff(sent, 'days').days < input.days) continue;
    const question = questionOf(last.text);
    if (!question) continue;
    const fromMe = mine.has(addressOf(last.from));
    const subject = thread.subject.trim() || 'your last message';
    const when = sent.setZone(now.zone).toFormat('d LLL');
    const excerpt = question.length > 160 ? `${question.slice(0, 157)}…` : question;
    if (fromMe) {
      const other = messages.filter((m) => !mine.has(addressOf(m.from))).pop();
      const name = other ? nameOf(other.from) : '';
      out.push({
        threadId: thread.id,
        waitingOn: 'them',
        since: isoInstant(sent),
        nudge: `Hi${name ? ` ${name}` : ''}, just following up on my message of ${when} about "${subject}": ${excerpt} Could you let me know when you have a moment? Thanks!`,
      });
    } else {
      out.push({
        threadId: thread.id,
        waitingOn: 'me',
        since: isoInstant(sent),
        nudge: `Reply to ${nameOf(last.from)} about "${subject}": since ${when} they are waiting for your answer to "${excerpt}"`,
      });
    }
  }
  return out.sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
}

export const followupsDetect = defineSkill({
  id: 'followups.detect',
  description:
    'Finds threads whose last message is older than the given days and asks something still unanswered: waiting on me (their question) or on them (mine), each with a proposed nudge.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: FollowupsDetectInput,
  output: FollowupsDetectOutput,
  async run(sctx, input) {
    const now = input.now ? instantIn(input.now, sctx.timeZone) : DateTime.fromJSDate(sctx.now).setZone(sctx.timeZone);
    return detectFollowups(input, now);
  },
});
