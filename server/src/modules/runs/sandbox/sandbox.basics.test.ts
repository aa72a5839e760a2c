import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AppError } from '#core/errors.js';
import {
  closeSandboxPool,
  configureSandboxPool,
  DEFAULT_SANDBOX_LIMITS,
  type HostCall,
  hostErrorForGuest,
  runSandboxed,
  type SandboxResult,
  sandboxPoolStats,
} from './sandbox.js';

afterAll(() => closeSandboxPool());
afterEach(() => configureSandboxPool({ concurrency: 2 }));

const run = (source: string, input: unknown = null, hostCalls: Record<string, HostCall> = {}, limits = {}) =>
  runSandboxed({ source, input, hostCalls, limits });

function failure(r: SandboxResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.output)}`);
  return r.error;
}

describe('sandbox: input, output and host calls', () => {
  it('takes input and returns output as JSON data', async () => {
    const r = await run(
      `async function main(input, platform) {
         return { greeting: 'hello ' + input.name, n: input.items.length, nested: { ok: true, list: [1, 'two', null] } };
       }`,
      { name: 'Dana', items: [1, 2, 3] },
    );
    expect(r).toMatchObject({ ok: true, output: { greeting: 'hello Dana', n: 3, nested: { ok: true, list: [1, 'two', null] } } });
    expect(r.stats.hostCalls).toBe(0);
  });

  it('gives the code a copy of the input: changing it changes nothing outside', async () => {
    const input = { list: [1, 2], obj: { a: 1 } };
    const r = await run('async function main(input) { input.list.push(3); input.obj.a = 2; input.added = true; return input }', input);
    expect(r).toMatchObject({ ok: true, output: { list: [1, 2, 3], obj: { a: 2 }, added: true } });
    expect(input).toEqual({ list: [1, 2], obj: { a: 1 } });
  });

  it('returns null when main returns nothing, and accepts a plain (non-async) main', async () => {
    expect(await run('async function main() {}')).toMatchObject({ ok: true, output: null });
    expect(await run('function main(input) { return input * 2 }', 21)).toMatchObject({ ok: true, output: 42 });
  });

  it('reaches granted host calls by name, with JSON args and results', async () => {
    const seen: unknown[] = [];
    const r = await run(
      `async function main(input, platform) {
         const a = await platform.call('tasks.list', { limit: 2 });
         const [b, c] = await Promise.all([platform.call('math.double', 4), platform.call('math.double', 5)]);
         const d = await platform.call('nothing');
         return { a, b, c, d: d === undefined };
       }`,
      null,
      {
        'tasks.list': async (args) => {
          seen.push(args);
          return [{ title: 'one' }, { title: 'two' }];
        },
        'math.double': async (n) => (n as number) * 2,
        nothing: async () => undefined,
      },
    );
    expect(r).toMatchObject({ ok: true, output: { a: [{ title: 'one' }, { title: 'two' }], b: 8, c: 10, d: true } });
    expect(seen).toEqual([{ limit: 2 }]);
    expect(r.stats.hostCalls).toBe(4);
  });

  it('refuses a name that was not granted, inside the guest, with a clear error the code can catch', async () => {
    let called = false;
    const r = await run(
      `async function main(input, platform) {
         const out = [];
         for (const name of ['email.send', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
           try { await platform.call(name, {}); out.push('reached ' + name) } catch (e) { out.push(e.name + ': ' + e.message) }
         }
         return out;
       }`,
      null,
      {
        'tasks.list': async () => {
          called = true;
          return [];
        },
      },
    );
    expect(r.ok).toBe(true);
    const out = (r as { output: string[] }).output;
    expect(out).toHaveLength(5);
    for (const line of out)
      expect(line).toMatch(/^HostCallError: platform\.call: ".*" is not available to this step \(available: tasks\.list\)\.$/);
    expect(called).toBe(false);
  });

  it('fails the run with kind host when a host call error is not caught, with the message and code but never the stack', async () => {
    const boom: HostCall = async () => {
      throw new AppError(
        'not_found',
        `connector refused at ${process.cwd()}/server/src/modules/x/x.service.ts:10:5 (file:///srv/app/index.js)`,
      );
    };
    const r = await run(
      `async function main(input, platform) {
         try { await platform.call('boom') } catch (e) { platform.log('caught', e.name, e.message, e.code, typeof e.stack === 'string' && e.stack.includes('.ts')) }
         await platform.call('boom');
       }`,
      null,
      { boom },
    );
    const error = failure(r);
    expect(error.kind).toBe('host');
    expect(error.message).toContain('HostCallError: connector refused at [path]');
    for (const text of [error.message, ...r.logs]) {
      expect(text).not.toContain('.service.ts');
      expect(text).not.toContain(process.cwd());
      expect(text).not.toContain('/srv/app');
      expect(text).not.toMatch(/node:internal|node_modules/);
    }
    expect(r.logs[0]).toBe('caught HostCallError connector refused at [path]:10:5 ([path]) not_found false');
  });

  it('gives the guest only a generic message for a host fault that is not an AppError', async () => {
    const faults: HostCall[] = [
      async () => {
        throw new Error('duplicate key value violates unique constraint "accounts_email_key"');
      },
      async () => {
        throw Object.assign(new TypeError("Cannot read properties of undefined (reading 'x')"), { code: 'ERR_X' });
      },
      async () => {
        throw 'a string';
      },
      async () => {
        throw { secret: 'canary-91ab' };
      },
    ];
    for (const fault of faults) {
      const r = await run(`async function main(input, platform) { await platform.call('fault') }`, null, { fault });
      expect(failure(r).kind).toBe('host');
      expect(failure(r).message).toMatch(/^HostCallError: The host call failed\.\n\s+at main \(main\.js:1:\d+\)$/);
    }
  });

  it('masks paths in what the guest sees of an AppError', () => {
    expect(hostErrorForGuest(new AppError('not_found', 'open /etc/secret/keys.json failed'))).toEqual({
      message: 'open [path] failed',
      code: 'not_found',
    });
    expect(hostErrorForGuest(new AppError('invalid_input', 'see https://example.com/a/b for help'))).toEqual({
      message: 'see https://example.com/a/b for help',
      code: 'invalid_input',
    });
    expect(hostErrorForGuest(new Error('open /etc/x failed'))).toEqual({ message: 'The host call failed.' });
  });

  it('rejects host-call args that are not JSON or too large, inside the guest', async () => {
    let calls = 0;
    const r = await run(
      `async function main(input, platform) {
         const out = [];
         for (const args of [() => 1, 10n, Symbol('s'), 'x'.repeat(2000)]) {
           try { await platform.call('echo', args); out.push('sent') } catch (e) { out.push(e.message) }
         }
         const cyc = {}; cyc.self = cyc;
         try { await platform.call('echo', cyc) } catch (e) { out.push(e.message) }
         return out;
       }`,
      null,
      {
        echo: async (a) => {
          calls++;
          return a;
        },
      },
      { maxOutputBytes: 1000 },
    );
    expect(r.ok).toBe(true);
    const out = (r as { output: string[] }).output;
    expect(out[0]).toContain('args must be JSON-serialisable: a function is not JSON');
    expect(out[1]).toContain('a bigint is not JSON');
    expect(out[2]).toContain('a symbol is not JSON');
    expect(out[3]).toContain('args are larger than 1000 bytes');
    expect(out[4]).toContain('args must be JSON-serialisable: circular reference');
    expect(calls).toBe(0);
  });

  it('hands a host result that is too large or not JSON back as an error in the guest', async () => {
    const r = await run(
      `async function main(input, platform) {
         const out = [];
         for (const name of ['big', 'cyclic', 'bigint']) {
           try { await platform.call(name); out.push('got ' + name) } catch (e) { out.push(e.message) }
         }
         return out;
       }`,
      null,
      {
        big: async () => 'x'.repeat(5000),
        cyclic: async () => {
          const o: Record<string, unknown> = {};
          o.o = o;
          return o;
        },
        bigint: async () => 1n,
      },
      { maxHostResultBytes: 1000 },
    );
    expect(r).toMatchObject({
      ok: true,
      output: [
        'platform.call("big"): the result is larger than 1000 bytes.',
        'platform.call("cyclic"): the host returned a value that is not JSON.',
        'platform.call("bigint"): the host returned a value that is not JSON.',
      ],
    });
  });

  it('strips __proto__ keys from what crosses to the host (args and output)', async () => {
    let seen: unknown;
    const r = await run(
      `async function main(input, platform) {
         const evil = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}');
         await platform.call('take', evil);
         return evil;
       }`,
      null,
      {
        take: async (a) => {
          seen = a;
        },
      },
    );
    expect(r).toMatchObject({ ok: true, output: { a: 1 } });
    expect(Object.hasOwn((r as { output: object }).output, '__proto__')).toBe(false);
    expect(seen).toEqual({ a: 1 });
    expect(Object.hasOwn(seen as object, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hands the host at most 8 calls of one run at a time; the rest wait in the sandbox', async () => {
    let now = 0;
    let most = 0;
    // The first calls hold until 8 are in flight at once (then every call goes straight through), so the
    // count does not depend on how fast this machine delivers them; a lower limit would never open the
    // gate and the run would time out, a higher one would show in `most`.
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const slow: HostCall = async (n) => {
      now++;
      most = Math.max(most, now);
      if (now >= 8) open();
      await gate;
      await new Promise((r) => setImmediate(r));
      now--;
      return (n as number) * 10;
    };
    const r = await run(
      `async function main(input, platform) { return Promise.all(Array.from({ length: 30 }, (_, i) => platform.call('slow', i))) }`,
      null,
      { slow },
    );
    expect(r).toMatchObject({ ok: true, output: Array.from({ length: 30 }, (_, i) => i * 10) });
    expect(most).toBe(8);
  });

  it('signals a host call to stop when the run ends before it answers', async () => {
    let aborted = false;
    const r = await run(`async function main(input, platform) { platform.call('slow').catch(() => {}); return 'done early' }`, null, {
      slow: (_args, { signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve('late');
          }),
        ),
    });
    expect(r).toMatchObject({ ok: true, output: 'done early' });
    expect(aborted).toBe(true);
  });
});

describe('sandbox: logs', () => {
  it('collects platform.log and console.log lines, formatted', async () => {
    const r = await run(`async function main(input, platform) {
      platform.log('plain', 1, { a: [1, 2] }, null, undefined, true);
      console.log('via console');
      console.error(new TypeError('bad thing'));
      platform.log(10n, () => 1);
      return 1;
    }`);
    expect(r.logs).toEqual(['plain 1 {"a":[1,2]} null undefined true', 'via console', 'TypeError: bad thing', '10n [function]']);
  });

  it('caps logs at maxLogBytes and says how many lines were dropped', async () => {
    const r = await run(
      `async function main(input, platform) {
         for (let i = 0; i < 20000; i++) platform.log('line ' + i + ' ' + 'x'.repeat(50));
         platform.log('y'.repeat(5000000));
         for (let i = 0; i < 20000; i++) platform.log('');
         return 'still ran';
       }`,
      null,
      {},
      { maxLogBytes: 1000, timeoutMs: 30_000 },
    );
    expect(r).toMatchObject({ ok: true, output: 'still ran' });
    const kept = r.logs.slice(0, -1);
    expect(kept.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)).toBeLessThanOrEqual(1000);
    expect(kept[0]).toBe(`line 0 ${'x'.repeat(50)}`);
    expect(r.logs.at(-1)).toMatch(/^\[logs truncated at 1000 bytes; \d+ more lines dropped\]$/);
    expect(Number(/; (\d+) more/.exec(r.logs.at(-1)!)![1])).toBeGreaterThan(39_000);
  });

  it('keeps the logs of a run that fails', async () => {
    const r = await run(`async function main(input, platform) { platform.log('before'); throw new Error('oops') }`);
    expect(failure(r)).toMatchObject({ kind: 'script' });
    expect(failure(r).message).toMatch(/^Error: oops\n\s+at main \(main\.js:1:\d+\)/);
    expect(r.logs).toEqual(['before']);
  });
});

describe('sandbox: what the code returns', () => {
  it('refuses output that is not JSON data: functions, symbols, BigInt, cycles', async () => {
    const cases: Array<[string, RegExp]> = [
      ['return () => 1', /a function is not JSON/],
      ['return { a: { b: function () {} } }', /a function is not JSON \(at key "b"\)/],
      ['return [1, Symbol("x")]', /a symbol is not JSON/],
      ['return 10n', /a bigint is not JSON/],
      ['return { n: 10n }', /a bigint is not JSON \(at key "n"\)/],
      ['const a = { b: {} }; a.b.a = a; return a', /circular reference/],
      ['return { toJSON() { throw new Error("no json for you") } }', /no json for you/],
    ];
    for (const [body, message] of cases) {
      const r = await run(`async function main() { ${body} }`);
      expect(failure(r).kind, body).toBe('invalid_output');
      expect(failure(r).message, body).toMatch(message);
    }
  });

  it('refuses output larger than maxOutputBytes, counted in UTF-8 bytes', async () => {
    const limits = { maxOutputBytes: 1000 };
    expect(await run(`async function main() { return 'x'.repeat(990) }`, null, {}, limits)).toMatchObject({ ok: true });
    expect(failure(await run(`async function main() { return 'x'.repeat(1000) }`, null, {}, limits))).toEqual({
      kind: 'output_too_large',
      message: 'The result is larger than 1000 bytes of JSON.',
    });
    // 400 Hebrew letters are 800 bytes of UTF-8, plus the quotes.
    expect(await run(`async function main() { return 'ש'.repeat(400) }`, null, {}, limits)).toMatchObject({ ok: true });
    expect(failure(await run(`async function main() { return 'ש'.repeat(600) }`, null, {}, limits)).kind).toBe('output_too_large');
    expect(failure(await run(`async function main() { return 'x'.repeat(5000000) }`)).kind).toBe('output_too_large');
  });

  it('reports syntax errors, a missing main and thrown non-errors as script errors', async () => {
    expect(failure(await run('async function main( {'))).toMatchObject({ kind: 'script', message: expect.stringMatching(/^SyntaxError/) });
    expect(failure(await run('const x = 1'))).toEqual({
      kind: 'script',
      message: 'TypeError: The code must define async function main(input, platform)',
    });
    expect(failure(await run('async function main() { throw "a string" }'))).toEqual({ kind: 'script', message: 'a string' });
    expect(failure(await run('async function main() { throw { weird: 1 } }'))).toEqual({
      kind: 'script',
      message: 'the code threw a value that is not an Error: {"weird":1}',
    });
    expect(failure(await run('async function main() { await Promise.reject(new RangeError("r")) }')).message).toMatch(/^RangeError: r/);
  });

  it('accepts only source text: anything else is a programming error', async () => {
    const bytes = new Uint8Array([0x02, 0x01, 0x00]);
    await expect(runSandboxed({ source: bytes as unknown as string, input: null, hostCalls: {} })).rejects.toThrow(TypeError);
    await expect(runSandboxed({ source: 'async function main(){}', input: 1n, hostCalls: {} })).rejects.toThrow(TypeError);
    await expect(
      runSandboxed({ source: 'async function main(){}', input: null, hostCalls: {}, limits: { memoryBytes: 1 } }),
    ).rejects.toThrow(RangeError);
    await expect(
      runSandboxed({ source: 'async function main(){}', input: null, hostCalls: {}, limits: { timeoutMs: Number.NaN } }),
    ).rejects.toThrow(RangeError);
    expect(failure(await run(`// ${'x'.repeat(1024 * 1024)}\nasync function main(){}`))).toMatchObject({ kind: 'script' });
  });
});

describe('sandbox: pool, concurrency and cancellation', () => {
  it('reuses a warm worker for the next run, with default limits when none are given', async () => {
    await run('async function main() { return 1 }');
    const r = await run('async function main() { return 2 }');
    expect(r).toMatchObject({ ok: true, output: 2, stats: { coldStart: false } });
    expect(DEFAULT_SANDBOX_LIMITS).toMatchObject({ timeoutMs: 5000, memoryBytes: 64 * 1024 * 1024 });
  });

  it('starts workers with an empty environment: no secret of this process reaches them', async () => {
    process.env.CSME_SANDBOX_CANARY = 'canary-3f9a1c';
    try {
      await closeSandboxPool(); // new workers from here on
      const r = await run(`async function main() { return [typeof process, typeof require, String(globalThis.CSME_SANDBOX_CANARY)] }`);
      expect(r).toMatchObject({ ok: true, output: ['undefined', 'undefined', 'undefined'] });
      expect(sandboxPoolStats().workersStarted).toBe(1);
      expect(sandboxPoolStats().workerEnvVars).toBe(0);
    } finally {
      delete process.env.CSME_SANDBOX_CANARY;
    }
  });

  it('runs at most N at once; the others wait their turn in order', async () => {
    configureSandboxPool({ concurrency: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const order: number[] = [];
    const first = run(
      `async function main(input, platform) { await platform.call('wait'); return 1 }`,
      null,
      { wait: () => gate },
      { timeoutMs: 20_000 },
    );
    await expect.poll(() => sandboxPoolStats().running).toBe(1);
    const rest = [2, 3, 4].map((n) =>
      run(`async function main(input) { return input }`, n).then((r) => {
        order.push(n);
        return r;
      }),
    );
    await expect.poll(() => sandboxPoolStats().queued).toBe(3);
    expect(order).toEqual([]);
    release();
    expect(await first).toMatchObject({ ok: true, output: 1 });
    const results = await Promise.all(rest);
    expect(order).toEqual([2, 3, 4]);
    for (const r of results) expect(r.stats.queuedMs).toBeGreaterThan(0);
    await expect.poll(() => sandboxPoolStats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('honours the abort signal while waiting for a slot and while running', async () => {
    configureSandboxPool({ concurrency: 1 });
    const busy = run(`async function main() { while (true) {} }`, null, {}, { timeoutMs: 3_000 });
    await expect.poll(() => sandboxPoolStats().running).toBe(1);

    const queued = new AbortController();
    const waiting = runSandboxed({ source: 'async function main() { return 1 }', input: null, hostCalls: {}, signal: queued.signal });
    await expect.poll(() => sandboxPoolStats().queued).toBe(1);
    queued.abort();
    expect(failure(await waiting)).toEqual({ kind: 'cancelled', message: 'The run was cancelled before it started.' });
    expect(sandboxPoolStats().queued).toBe(0);
    expect(failure(await busy).kind).toBe('timeout');

    const already = AbortSignal.abort();
    expect(failure(await runSandboxed({ source: 'async function main() {}', input: null, hostCalls: {}, signal: already })).kind).toBe(
      'cancelled',
    );

    const running = new AbortController();
    const t0 = Date.now();
    const spinning = runSandboxed({
      source: `async function main(input, platform) { platform.log('started'); await platform.call('tick'); while (true) {} }`,
      input: null,
      hostCalls: { tick: async () => running.abort() },
      signal: running.signal,
      limits: { timeoutMs: 10_000 },
    });
    const r = await spinning;
    expect(failure(r)).toEqual({ kind: 'cancelled', message: 'The run was cancelled.' });
    expect(r.logs).toEqual(['started']);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await run('async function main() { return "next" }')).toMatchObject({ ok: true, output: 'next' });
  });

  it('ends queued and running runs as cancelled when the pool closes, and starts a new pool afterwards', async () => {
    configureSandboxPool({ concurrency: 1 });
    const running = run(`async function main() { while (true) {} }`, null, {}, { timeoutMs: 10_000 });
    await expect.poll(() => sandboxPoolStats().running).toBe(1);
    const queued = run(`async function main() { return 1 }`);
    await expect.poll(() => sandboxPoolStats().queued).toBe(1);
    await closeSandboxPool();
    expect(failure(await running)).toEqual({ kind: 'cancelled', message: 'The sandbox was shut down.' });
    expect(failure(await queued)).toEqual({ kind: 'cancelled', message: 'The sandbox was shut down.' });
    expect(await run('async function main() { return "again" }')).toMatchObject({ ok: true, output: 'again', stats: { coldStart: true } });
  });
});
