import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '#core/errors.js';
import { recordFigures } from '#test/figures.js';
import { closeSandboxPool, configureSandboxPool, type HostCall, runSandboxed, type SandboxResult } from './sandbox.js';

// The escape corpus (reliability.md 1.5 and 7.D, D1/D5; issue 12): published patterns against n8n, vm2 and
// QuickJS-based sandboxes. Every payload must fail safely: the code sees only its own QuickJS realm, never
// a host object, function, stack frame or file path, and nothing it does changes the host or the next run.
// Payloads try to reach the host and report what they found; "undefined" everywhere is the pass.

beforeAll(() => configureSandboxPool({ concurrency: 2 }));
afterAll(() => closeSandboxPool());

const received: unknown[] = [];
const hostCalls: Record<string, HostCall> = {
  echo: async (args) => {
    received.push(args);
    return args;
  },
  boom: async () => {
    throw new AppError('conflict', `database said no (${import.meta.url})`);
  },
};

const run = (body: string, input: unknown = null) =>
  runSandboxed({ source: `async function main(input, platform) { ${body} }`, input, hostCalls, limits: { timeoutMs: 3_000 } });

/** Nothing of the host may appear in anything the code hands back. */
function expectNoHostTrace(r: SandboxResult) {
  const text = JSON.stringify(r);
  for (const marker of ['/work/', '/node_modules/', 'node:internal', '.ts:', '.mjs', 'wasm://', 'file://', 'sandbox.worker', process.cwd()])
    expect(text, `leaked ${marker}`).not.toContain(marker);
}

/** [description, body, what must come back] — 'script' means the attempt threw inside the guest and the run failed safely. */
type Case = [string, string, unknown];

const constructorChains: Case[] = [
  ['this.constructor.constructor to process', `return this.constructor.constructor('return process')()`, 'script'],
  [
    'Function("return this")()',
    `const g = Function('return this')(); return [g === globalThis, typeof g.process, typeof g.require]`,
    [true, 'undefined', 'undefined'],
  ],
  ['({}).constructor.constructor', `return ({}).constructor.constructor('return typeof require')()`, 'undefined'],
  ['platform.call.constructor', `return platform.call.constructor('return typeof process')()`, 'undefined'],
  ['platform.log.constructor.constructor', `return platform.log.constructor.constructor('return typeof process')()`, 'undefined'],
  ['AsyncFunction constructor', `return await (async () => {}).constructor('return typeof process')()`, 'undefined'],
  ['GeneratorFunction constructor', `return (function* () {}).constructor('yield typeof require')().next().value`, 'undefined'],
  [
    'constructor of a promise from the host',
    `const p = platform.call('echo', 1); await p; return p.constructor.constructor('return typeof process')()`,
    'undefined',
  ],
  [
    'constructor of an error from the host',
    `try { await platform.call('boom') } catch (e) { return [e.constructor === Error, e.constructor.constructor('return typeof process')()] }`,
    [true, 'undefined'],
  ],
  ['Reflect.construct(Function)', `return Reflect.construct(Function, ['return typeof process'])()`, 'undefined'],
  ['[].filter.constructor', `return [].filter.constructor('return typeof fetch')()`, 'undefined'],
  ['Symbol.constructor chain', `return Symbol().constructor.constructor('return typeof require')()`, 'undefined'],
  [
    'getPrototypeOf(platform).constructor',
    `return Object.getPrototypeOf(platform).constructor.constructor('return typeof process')()`,
    'undefined',
  ],
  ['caller of main', `return typeof main.caller`, 'script'],
  ['arguments.callee.caller', `return typeof arguments.callee.caller`, 'script'],
];

const computedKeys: Case[] = [
  ['computed-string constructor', `return this['con' + 'structor']['con' + 'structor']('return typeof process')()`, 'undefined'],
  ['template-literal constructor', 'return this[`constructor`][`constructor`](`return typeof require`)()', 'undefined'],
  [
    'template-literal constructor (n8n CVE-2025-68613)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is part of the guest's source
    'return ({})[`${"constr"}uctor`][`${"constr"}uctor`](`return typeof process`)()',
    'undefined',
  ],
  ['joined global name', `return typeof globalThis[['pro', 'cess'].join('')]`, 'undefined'],
  ['escaped key', `return typeof globalThis['\\u0070rocess']`, 'undefined'],
  ['spread of platform', `return ({ ...platform }).call.constructor('return typeof process')()`, 'undefined'],
  ['spread array constructor', `return [...'ab'].constructor.constructor('return typeof require')()`, 'undefined'],
  ['Object.assign(platform)', `return Object.keys(Object.assign({}, platform))`, ['call', 'log']],
  ['with(globalThis)', `with (globalThis) { return typeof process }`, 'undefined'],
  ['String.fromCharCode name', `return typeof globalThis[String.fromCharCode(114, 101, 113, 117, 105, 114, 101)]`, 'undefined'],
];

const evalTricks: Case[] = [
  ['eval', `return eval('typeof process')`, 'undefined'],
  ['indirect eval', `return (0, eval)('typeof require')`, 'undefined'],
  ['indirect eval this', `return typeof (0, eval)('this').process`, 'undefined'],
  ['new Function globalThis', `return typeof new Function('return globalThis')().fetch`, 'undefined'],
  ['eval import.meta', `return eval('import.meta')`, 'script'],
  ['eval require()', `return eval('require("child_process")')`, 'script'],
];

const dynamicImport: Case[] = [
  ['import("fs")', `try { await import('fs'); return 'imported' } catch (e) { return e.message }`, "could not load module 'fs'"],
  [
    'import("node:child_process")',
    `try { await import('node:child_process'); return 'imported' } catch (e) { return e.name }`,
    'ReferenceError',
  ],
  [
    'import(data: URL)',
    `try { await import('data:text/javascript,export default 1'); return 'imported' } catch (e) { return e.name }`,
    'ReferenceError',
  ],
  [
    'import of the worker file',
    `try { await import('./sandbox.worker.mjs'); return 'imported' } catch (e) { return e.name }`,
    'ReferenceError',
  ],
  ['import of a path', `try { await import('/etc/passwd'); return 'imported' } catch (e) { return e.name }`, 'ReferenceError'],
  ['import() through eval', `try { await eval('import("fs")'); return 'imported' } catch (e) { return e.name }`, 'ReferenceError'],
  [
    'import() through Function',
    `try { await Function('return import("os")')(); return 'imported' } catch (e) { return e.name }`,
    'ReferenceError',
  ],
];

const stackHooks: Case[] = [
  ['V8 stack hooks do not exist', `return [typeof Error.prepareStackTrace, typeof Error.captureStackTrace]`, ['undefined', 'undefined']],
  [
    'Error.prepareStackTrace set by the code is not called with host frames',
    `Error.prepareStackTrace = (e, frames) => frames.map((f) => String(f.getThis && f.getThis())).join('|'); return String(new Error('x').stack).includes('main.js')`,
    true,
  ],
  [
    'stack of a host error',
    `try { await platform.call('boom') } catch (e) { return [e.name, e.message, String(e.stack).includes('main.js')] }`,
    ['HostCallError', 'database said no ([path])', true],
  ],
  ['Error.stackTraceLimit', `Error.stackTraceLimit = Infinity; return typeof new Error('x').stack`, 'string'],
];

const platformObject: Case[] = [
  [
    'platform is frozen',
    `return [Object.isFrozen(platform), Reflect.setPrototypeOf(platform, {}), Reflect.set(platform, 'call', 1)]`,
    [true, false, false],
  ],
  ['platform has only call and log', `return Reflect.ownKeys(platform)`, ['call', 'log']],
  [
    'platform functions are guest functions',
    `return [platform.call.toString().includes('[native code]'), platform.log.toString().includes('[native code]')]`,
    [false, false],
  ],
  [
    'a Proxy as the name',
    `try { await platform.call(new Proxy({}, { get: () => 'echo' })); return 'called' } catch (e) { return e.message }`,
    'platform.call(name, args): name must be a string',
  ],
  [
    'an object with toString as the name',
    `try { await platform.call({ toString() { return 'echo' } }); return 'called' } catch (e) { return e.name }`,
    'TypeError',
  ],
  [
    'a String object as the name',
    `try { await platform.call(new String('echo')); return 'called' } catch (e) { return e.name }`,
    'TypeError',
  ],
  [
    'a Proxy whose traps throw as args',
    `try { await platform.call('echo', new Proxy({}, { ownKeys() { throw new Error('trap') } })); return 'called' } catch (e) { return e.message }`,
    'platform.call("echo"): args must be JSON-serialisable: trap',
  ],
  ['Reflect.apply with a foreign this', `return await Reflect.apply(platform.call, { evil: true }, ['echo', { n: 1 }])`, { n: 1 }],
  ['hidden natives are not on globalThis', `return ['nativeCall', 'nativeLog', 'call', 'log'].filter((k) => k in globalThis)`, []],
];

const pollution: Case[] = [
  [
    'prototype pollution of every reachable prototype',
    `({}).__proto__.polluted = 1; Object.prototype.polluted2 = 2; platform.__proto__.x = 3;
     Object.getPrototypeOf(platform.call).y = 4; Array.prototype.z = 5; String.prototype.w = 6;
     Object.assign(Object.prototype, { r: 8 }); Function.prototype.f = 9; Error.prototype.e = 10;
     Promise.prototype.p = 11; platform.call.__proto__.q = 12;
     return { a: 1 }`,
    { a: 1 },
  ],
  ['__proto__ in the result', `return { ['__proto__']: { isAdmin: true }, a: 1 }`, { a: 1 }],
  ['__proto__ from JSON.parse in the result', `return JSON.parse('{"__proto__": {"isAdmin": true}, "b": 2}')`, { b: 2 }],
  [
    'constructor.prototype in host-call args',
    `await platform.call('echo', JSON.parse('{"constructor": {"prototype": {"polluted": 1}}, "ok": 1}')); return 'sent'`,
    'sent',
  ],
  ['getters in the result become plain data', `let n = 0; return { get v() { return ++n }, w: 1 }`, { v: 1, w: 1 }],
];

const globals: Case[] = [
  [
    'no host capability is defined',
    `return ['process', 'require', 'module', 'exports', 'global', 'Buffer', 'fetch', 'XMLHttpRequest', 'WebSocket', 'WebAssembly',
      'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Deno', 'Bun', 'importScripts', 'std', 'os', 'bjson',
      '__dirname', '__filename', 'Atomics', 'structuredClone', 'performance', 'crypto', 'navigator', 'postMessage', 'self',
      'window', 'document', 'location', 'MessageChannel', 'Worker', 'SharedWorker', 'Response', 'Request', 'Headers',
      'TextEncoder', 'TextDecoder', 'URL', 'Blob', 'EventTarget', 'BroadcastChannel', 'scriptArgs', 'print']
      .filter((name) => eval('typeof ' + name) !== 'undefined')`,
    [],
  ],
];

const corpus: Array<[string, Case[]]> = [
  ['constructor chains', constructorChains],
  ['computed-key, template-literal and spread tricks', computedKeys],
  ['eval tricks', evalTricks],
  ['dynamic import', dynamicImport],
  ['stack-trace hooks and thrown host errors', stackHooks],
  ['Proxy and Reflect on the platform object', platformObject],
  ['prototype pollution', pollution],
  ['globalThis probing', globals],
];

/** The host's own prototypes and globals, to compare after the corpus ran. */
function hostSnapshot() {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort();
  return {
    object: names(Object.prototype),
    array: names(Array.prototype),
    string: names(String.prototype),
    fn: names(Function.prototype),
    error: names(Error.prototype),
    promise: names(Promise.prototype),
    globals: names(globalThis),
    prepareStackTrace: Error.prepareStackTrace,
  };
}

let tried = 0;
let escapes = 0;
afterAll(() => recordFigures('sandbox escapes', { payloads: tried }, escapes));

describe('sandbox escape corpus', () => {
  const before = hostSnapshot();

  for (const [group, cases] of corpus) {
    describe(group, () => {
      for (const [name, body, expected] of cases) {
        it(name, async () => {
          tried++;
          const r = await run(body);
          try {
            if (expected === 'script') {
              expect(r.ok, JSON.stringify(r)).toBe(false);
              expect(r.ok || r.error.kind).toBe('script');
            } else {
              expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
              expect(r.ok && r.output).toEqual(expected);
            }
            expectNoHostTrace(r);
          } catch (e) {
            escapes++;
            throw e;
          }
        });
      }
    });
  }

  it('defines exactly the standard globals plus console and main', async () => {
    const r = await run('return Object.getOwnPropertyNames(globalThis).sort()');
    expect(r.ok).toBe(true);
    const standard = [
      'AggregateError',
      'Array',
      'ArrayBuffer',
      'BigInt',
      'BigInt64Array',
      'BigUint64Array',
      'Boolean',
      'DataView',
      'Date',
      'Error',
      'EvalError',
      'FinalizationRegistry',
      'Float16Array',
      'Float32Array',
      'Float64Array',
      'Function',
      'Infinity',
      'Int16Array',
      'Int32Array',
      'Int8Array',
      'InternalError',
      'Iterator',
      'JSON',
      'Map',
      'Math',
      'NaN',
      'Number',
      'Object',
      'Promise',
      'Proxy',
      'RangeError',
      'ReferenceError',
      'Reflect',
      'RegExp',
      'Set',
      'SharedArrayBuffer',
      'String',
      'Symbol',
      'SyntaxError',
      'TypeError',
      'URIError',
      'Uint16Array',
      'Uint32Array',
      'Uint8Array',
      'Uint8ClampedArray',
      'WeakMap',
      'WeakRef',
      'WeakSet',
      'console',
      'decodeURI',
      'decodeURIComponent',
      'encodeURI',
      'encodeURIComponent',
      'escape',
      'eval',
      'globalThis',
      'isFinite',
      'isNaN',
      'main',
      'parseFloat',
      'parseInt',
      'undefined',
      'unescape',
    ].sort();
    expect(r.ok && r.output).toEqual(standard);
  });

  it('refuses static imports and source that is not a script', async () => {
    for (const source of [`import fs from 'fs'; async function main() {}`, `export async function main() {}`, '\u0002\u0001bytecode']) {
      const r = await runSandboxed({ source, input: null, hostCalls: {} });
      expect(r.ok || r.error.kind, source).toBe('script');
      expect(r.ok || r.error.message).toMatch(/^SyntaxError/);
    }
  });

  it('hands the host only plain JSON data, whatever the code passed', async () => {
    received.length = 0;
    const r = await run(`
      let n = 0;
      const tricky = { get v() { return ++n }, toJSON() { return { v: this.v, kind: 'snapshot' } } };
      await platform.call('echo', tricky);
      await platform.call('echo', tricky);
      await platform.call('echo', Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true } }));
      await platform.call('echo', JSON.parse('{"constructor": {"prototype": {"polluted": 1}}, "ok": 1}'));
      return n;`);
    expect(r).toMatchObject({ ok: true, output: 2 });
    expect(received).toEqual([{ v: 1, kind: 'snapshot' }, { v: 2, kind: 'snapshot' }, { own: 2 }, { ok: 1 }]);
    for (const args of received) {
      expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
      for (const d of Object.values(Object.getOwnPropertyDescriptors(args))) expect(d.get ?? d.set).toBeUndefined();
    }
  });

  it('leaves nothing of a run for the next one in the same worker', async () => {
    await closeSandboxPool();
    configureSandboxPool({ concurrency: 1 });
    try {
      const a = await run(
        `globalThis.secret = input.secret; Object.prototype.leaked = input.secret; Array.prototype.push = () => 'hijacked';
         JSON.stringify = () => '"hijacked"'; globalThis.main = async () => 'planted'; Math.random = () => 4;
         platform.log(input.secret); return 'A done'`,
        { secret: 'tenant-A-secret-7c1' },
      );
      expect(a).toMatchObject({ ok: true, output: 'A done' });
      const b = await run(
        `const found = [typeof globalThis.secret, typeof ({}).leaked, JSON.stringify({ a: 1 }), [].push(1), Math.random() === 4];
         return found`,
      );
      expect(b).toMatchObject({ ok: true, stats: { coldStart: false } });
      expect(b.ok && b.output).toEqual(['undefined', 'undefined', '{"a":1}', 1, false]);
      expect(JSON.stringify(b)).not.toContain('tenant-A');
    } finally {
      configureSandboxPool({ concurrency: 2 });
    }
  });

  it('keeps concurrent runs apart: each sees only its own input and globals', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        run(
          `globalThis.mine = input.tenant; await platform.call('echo', input.tenant); await null; return [globalThis.mine, input.tenant]`,
          { tenant: `tenant-${i}` },
        ),
      ),
    );
    results.forEach((r, i) => {
      expect(r).toMatchObject({ ok: true, output: [`tenant-${i}`, `tenant-${i}`] });
    });
  });

  it('changed nothing in the host: prototypes, globals and stack-trace hooks are as before', () => {
    expect(hostSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).z).toBeUndefined();
  });

  it('survives a fuzz of the bridge: any value as name, args and log values, wrong types, nested and re-entrant calls', async () => {
    const calls: string[] = [];
    const fuzzHostCalls: Record<string, HostCall> = {
      echo: async (args) => {
        calls.push('echo');
        return args;
      },
      reject: async (args) => {
        calls.push('reject');
        throw new AppError('invalid_input', JSON.stringify(args));
      },
      // Re-entrancy: a host call that itself runs sandboxed code (another slot of the pool).
      nested: async (args) => {
        calls.push('nested');
        const inner = await runSandboxed({ source: 'async function main(input) { return { inner: input } }', input: args, hostCalls: {} });
        return inner.ok ? inner.output : inner.error.kind;
      },
    };
    const names = fc.oneof(fc.constantFrom('echo', 'reject', 'nested', 'missing', '', '__proto__', 'constructor'), fc.jsonValue());
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(names, fc.jsonValue()), { maxLength: 4 }),
        fc.array(fc.jsonValue(), { maxLength: 4 }),
        async (pairs, logs) => {
          calls.length = 0;
          const r = await runSandboxed({
            source: `async function main(input, platform) {
            const out = [];
            platform.log(...input.logs);
            for (const [name, args] of input.pairs) {
              try { out.push(['ok', await platform.call(name, args)]) } catch (e) { out.push(['err', e.name]) }
            }
            try { platform.call() } catch (e) { out.push(['threw', e.name]) }
            platform.log(); platform.log(platform, platform.call, Symbol('s'), 1n, undefined);
            return out;
          }`,
            input: { pairs, logs },
            hostCalls: fuzzHostCalls,
            limits: { timeoutMs: 5_000 },
          });
          expect(r.ok, JSON.stringify(r)).toBe(true);
          const out = (r as { output: Array<[string, unknown]> }).output;
          const granted = pairs.filter(([name]) => typeof name === 'string' && Object.hasOwn(fuzzHostCalls, name));
          expect(calls).toEqual(granted.map(([name]) => name));
          pairs.forEach(([name], i) => {
            if (name === 'echo' || name === 'nested') expect(out[i]?.[0]).toBe('ok');
            else expect(out[i]).toEqual(['err', typeof name === 'string' ? 'HostCallError' : 'TypeError']);
          });
          expectNoHostTrace(r);
        },
      ),
      { numRuns: 40 },
    );
  });
});
