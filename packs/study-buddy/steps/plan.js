// Learning plan: study sessions on the days before each exam, closer together as it nears, at the
// time the person chose, moved later when the calendar is busy then. Each session is proposed and
// booked only when approved. Local times come from dates.extract, which knows the person's time zone
// and its daylight-saving changes.

const DAYS_BEFORE = [1, 2, 3, 5, 7, 10, 14, 21];

function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

async function localTime(platform, input, day, hhmm) {
  const found = await platform.call('dates.extract', { text: `${day} at ${hhmm}`, now: input.now, timeZone: input.timeZone });
  return found.length ? found[0].start : null;
}

async function main(input, platform) {
  const today = (await platform.call('dates.extract', { text: 'today', now: input.now, timeZone: input.timeZone }))[0].start.slice(0, 10);
  const exams = (input.documents || [])
    .filter((d) => d.examDate && d.examDate > today)
    .sort((a, b) => (a.examDate < b.examDate ? -1 : 1))
    .slice(0, 3);
  if (!exams.length) return { sessions: [], title: '', body: '' };
  const last = exams[exams.length - 1].examDate;
  const busy = [];
  try {
    const agenda = await platform.call(input.calendarSkill, { from: input.now, to: `${addDays(last, 1)}T00:00:00Z`, limit: 500 });
    for (const e of agenda.events) busy.push([Date.parse(e.startsAt), Date.parse(e.endsAt)]);
  } catch (e) {
    platform.log('no calendar to check:', e.message);
  }
  const minutes = input.minutes || 45;
  const [h, m] = String(input.time || '18:00')
    .split(':')
    .map(Number);
  const sessions = [];
  for (const doc of exams) {
    const days = DAYS_BEFORE.map((n) => addDays(doc.examDate, -n))
      .filter((d) => d >= today)
      .slice(0, input.perExam || 5)
      .reverse();
    for (const day of days) {
      for (let shift = 0; shift < 3; shift++) {
        const hh = String(Math.min(h + shift, 22)).padStart(2, '0');
        const start = await localTime(platform, input, day, `${hh}:${String(m).padStart(2, '0')}`);
        if (!start) break;
        const s = Date.parse(start);
        const e = s + minutes * 60000;
        if (s <= Date.parse(input.now)) break;
        if (busy.some(([bs, be]) => s < be && e > bs)) continue;
        busy.push([s, e]);
        sessions.push({
          title: `Study: ${doc.title}`,
          startsAt: start,
          endsAt: new Date(e).toISOString(),
          notes: `Exam on ${doc.examDate}. ${doc.summary ? `What it is about: ${doc.summary.slice(0, 300)}` : ''}`.trim(),
        });
        break;
      }
    }
  }
  return {
    sessions: sessions.slice(0, 40),
    title: sessions.length ? `${sessions.length} study sessions proposed before your exams` : '',
    body: exams.map((d) => `• ${d.title}: exam on ${d.examDate}`).join('\n'),
  };
}
