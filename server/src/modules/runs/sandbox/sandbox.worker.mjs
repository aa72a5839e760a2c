// The sandbox worker thread: evaluates creator JavaScript in QuickJS (WebAssembly), one run at a time.
// Plain JavaScript on purpose: it loads with no TypeScript loader and imports nothing of the app (no
// config, keys, database or deps) — only node:worker_threads, node:fs, node:module and quickjs-emscripten.
// It is started with an empty environment by sandbox.ts, which also enforces the hard wall-clock limit.
// Everything that comes out of the guest is a string checked here and checked again in the main thread.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';

const MAX_STACK_BYTES = 256 * 1024; // STACK.md §8: above this the host stack can overflow first
const WASM_PAGE = 65536;
const INITIAL_PAGES = 256; // the QuickJS build needs 16 MiB to start
const JOBS_PER_SLICE = 1000; // promise jobs between checks of the deadline and the cancel flag
const MAX_MESSAGE_CHARS = 4000; // error messages handed back
const MAX_CALLS_IN_FLIGHT = 8; // host calls the main thread works on at once for one run; more wait here

/** Set to non-zero by the main thread to stop the current run at the next interrupt check. */
const control = new Int32Array(workerData.control);
const port = parentPort;

// Compile the QuickJS WebAssembly once per worker; every run instantiates it afresh (new runtime, new context,
// new module state) on a bounded WebAssembly.Memory that was zeroed since the previous run.
const requireFromQuickJS = createRequire(createRequire(import.meta.url).resolve('quickjs-emscripten'));
const wasmModule = new WebAssembly.Module(readFileSync(requireFromQuickJS.resolve('@jitl/quickjs-wasmfile-release-sync/wasm')));

/**
 * Guest-side glue, evaluated in each fresh context before the creator's code. It receives the two native
 * functions as arguments (they are never on globalThis), builds the frozen `platform` object and `console`,
 * and returns the runner that calls `main(input, platform)` and serialises its result strictly.
 * The creator can tamper with anything here after it runs; that only changes what its own run does,
 * because the worker trusts nothing but strings it checks.
 */
const PRELUDE = `(function (nativeCall, nativeLog, maxLogChars) {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify, freeze = Object.freeze;
  const PromiseC = Promise, TypeErrorC = TypeError, InternalErrorC = InternalError, ErrorC = Error, StringC = String;
  function strict(key, value) {
    const t = typeof value;
    if (t === 'function' || t === 'symbol' || t === 'bigint')
      throw new TypeErrorC('a ' + t + ' is not JSON' + (key === '' ? '' : ' (at key "' + key + '")'));
    return value;
  }
  function show(v) {
    const t = typeof v;
    if (t === 'string') return v;
    if (t === 'bigint') return StringC(v) + 'n';
    if (t === 'function') return '[function]';
    if (t === 'symbol' || t === 'undefined') return StringC(v);
    try {
      if (v instanceof ErrorC) return v.name + ': ' + v.message;
      const s = stringify(v, (k, x) => (typeof x === 'bigint' ? StringC(x) + 'n' : typeof x === 'function' ? '[function]' : x));
      return s === undefined ? StringC(v) : s;
    } catch (e) {
      if (e instanceof InternalErrorC) throw e;
      try { return StringC(v); } catch { return '[unprintable]'; }
    }
  }
  function log(...args) {
    let line = '';
    for (let i = 0; i < args.length && line.length <= maxLogChars; i++) line += (i ? ' ' : '') + show(args[i]);
    nativeLog(line.length > maxLogChars ? line.slice(0, maxLogChars) : line);
  }
  function call(name, args) {
    if (typeof name !== 'string') return PromiseC.reject(new TypeErrorC('platform.call(name, args): name must be a string'));
    let json;
    try {
      json = args === undefined ? 'null' : stringify(args, strict);
    } catch (e) {
      if (e instanceof InternalErrorC) return PromiseC.reject(e);
      return PromiseC.reject(new TypeErrorC('platform.call("' + name + '"): args must be JSON-serialisable: ' + e.message));
    }
    return nativeCall(name, json).then((s) => (s === undefined ? undefined : parse(s)));
  }
  const platform = freeze({ call, log });
  globalThis.console = freeze({ log, info: log, warn: log, error: log, debug: log });
  return function run(inputJson) {
    if (typeof main !== 'function') throw new TypeErrorC('The code must define async function main(input, platform)');
    const input = parse(inputJson);
    return PromiseC.resolve()
      .then(() => main(input, platform))
      .then((value) => {
        let json;
        try {
          json = value === undefined ? 'null' : stringify(value, strict);
        } catch (e) {
          if (e instanceof InternalErrorC) throw e;
          return 'I' + (e && e.message);
        }
        return json === undefined ? 'I' + 'the return value is not JSON' : 'J' + json;
      });
  };
})`;

port.on('message', (msg) => {
  if (msg.type === 'run') {
    if (current) return; // one run at a time; the main thread never sends two
    current = newRunState(msg);
    execute(current).then(
      (outcome) => finish(outcome),
      (err) => finish(crashed(err)),
    );
  } else if (msg.type === 'reply') {
    if (current && msg.runId === current.runId) {
      current.replies.push(msg);
      current.wake?.();
    }
  } else if (msg.type === 'cancel') {
    current?.wake?.();
  }
});

/** @type {ReturnType<typeof newRunState> | null} */
let current = null;

/** The worker's one WebAssembly.Memory, reused while its bound stays the same; all zeros between runs. */
let memory = null;
let memoryPages = 0;
let memoryDirty = false;

function memoryFor(bytes) {
  const pages = bytes / WASM_PAGE;
  if (!memory || memoryPages !== pages) {
    memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: pages });
    memoryPages = pages;
  } else if (memoryDirty) {
    new Uint8Array(memory.buffer).fill(0);
  }
  memoryDirty = true;
  return memory;
}

function newRunState(msg) {
  return {
    runId: msg.runId,
    msg,
    limits: msg.limits,
    granted: new Set(msg.hostCalls),
    deadline: msg.deadline,
    /** @type {{kind: string, message: string} | null} a stop decided by the worker (deadline, host-call limit, cancel) */
    abort: null,
    hostCalls: 0,
    callSeq: 0,
    /** @type {Map<number, any>} deferred promises of host calls not yet answered (queued or in flight) */
    pending: new Map(),
    /** @type {Array<{callId: number, name: string, args: any}>} calls waiting for a free place in flight */
    queued: [],
    inFlight: 0,
    replies: [],
    logs: [],
    logBytes: 0,
    logDropped: 0,
    /** @type {(() => void) | null} */
    wake: null,
  };
}

function stopReason(state) {
  if (state.abort) return state.abort;
  if (Atomics.load(control, 0) !== 0) state.abort = { kind: 'cancelled', message: 'The run was cancelled.' };
  else if (Date.now() > state.deadline) state.abort = timeoutError(state);
  return state.abort;
}

function timeoutError(state) {
  return { kind: 'timeout', message: `The code ran longer than its time limit of ${state.limits.timeoutMs} ms.` };
}

async function execute(state) {
  const { limits } = state;
  const QuickJS = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, {
      wasmModule,
      wasmMemory: memoryFor(limits.memoryBytes),
    }),
  );
  // The module instance, runtime and context are dropped after the run and the memory is zeroed: nothing
  // of this run survives into the next one.
  const rt = QuickJS.newRuntime();
  rt.setMemoryLimit(limits.memoryBytes);
  rt.setMaxStackSize(MAX_STACK_BYTES);
  rt.setInterruptHandler(() => stopReason(state) !== null);
  const vm = rt.newContext();
  state.vm = vm;

  const nativeCall = vm.newFunction('call', (nameH, argsH) => hostCall(state, vm, nameH, argsH));
  const nativeLog = vm.newFunction('log', (lineH) => {
    appendLog(state, vm, lineH);
  });

  const prelude = vm.evalCode(PRELUDE, 'platform.js');
  if (prelude.error) return guestError(state, vm, prelude.error, 'the platform glue failed to load');
  const maxLogChars = vm.newNumber(limits.maxLogBytes);
  const runnerR = vm.callFunction(prelude.value, vm.undefined, nativeCall, nativeLog, maxLogChars);
  if (runnerR.error) return guestError(state, vm, runnerR.error, 'the platform glue failed to load');
  const runner = runnerR.value;

  // Source text only: evalCode parses it; bytecode is never read.
  const evaluated = vm.evalCode(state.msg.source, 'main.js', { type: 'global' });
  if (evaluated.error) return guestError(state, vm, evaluated.error);
  evaluated.value.dispose();

  const input = vm.newString(state.msg.input);
  const started = vm.callFunction(runner, vm.undefined, input);
  input.dispose();
  if (started.error) return guestError(state, vm, started.error);
  const promise = started.value;

  for (;;) {
    const stop = stopReason(state);
    if (stop) return { ok: false, ...stop };
    const settled = vm.getPromiseState(promise);
    if (settled.type === 'rejected') return guestError(state, vm, settled.error);
    if (settled.type === 'fulfilled') return readOutput(state, vm, settled.value);
    if (rt.hasPendingJob()) {
      const jobs = rt.executePendingJobs(JOBS_PER_SLICE);
      if (jobs.error) return guestError(state, vm, jobs.error);
      continue;
    }
    if (state.replies.length) {
      deliverReplies(state, vm);
      continue;
    }
    if (state.pending.size) {
      await waitForReply(state);
      continue;
    }
    return {
      ok: false,
      kind: 'script',
      message: 'main() never settled: its promise waits for nothing that can happen (no host call is in flight and no work is left).',
    };
  }
}

function waitForReply(state) {
  return new Promise((resolve) => {
    const ms = Math.max(0, state.deadline - Date.now()) + 1;
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      state.wake = null;
      resolve();
    }
    state.wake = done;
  });
}

function hostCall(state, vm, nameH, argsH) {
  const deferred = vm.newPromise();
  const fail = (message) => {
    const err = vm.newError({ name: 'HostCallError', message });
    deferred.reject(err);
    err.dispose();
    return deferred.handle;
  };
  if (vm.typeof(nameH) !== 'string' || vm.typeof(argsH) !== 'string') return fail('platform.call(name, args): bad arguments');
  const name = vm.getString(nameH);
  state.hostCalls++;
  if (state.hostCalls > state.limits.maxHostCalls) {
    state.abort ??= { kind: 'host', message: `The code made more than ${state.limits.maxHostCalls} host calls (platform.call).` };
    return fail('too many host calls');
  }
  if (!state.granted.has(name)) {
    const granted = [...state.granted].join(', ') || 'none';
    return fail(`platform.call: "${name.slice(0, 100)}" is not available to this step (available: ${granted}).`);
  }
  if (stringLength(vm, argsH) > state.limits.maxOutputBytes) return fail(argsTooLarge(state, name));
  const callId = ++state.callSeq;
  state.pending.set(callId, deferred);
  // The args stay in the guest's memory until the call is sent: at most MAX_CALLS_IN_FLIGHT are with the host.
  state.queued.push({ callId, name, args: argsH.dup() });
  sendQueuedCalls(state, vm);
  return deferred.handle;
}

function argsTooLarge(state, name) {
  return `platform.call("${name}"): args are larger than ${state.limits.maxOutputBytes} bytes of JSON.`;
}

function sendQueuedCalls(state, vm) {
  while (state.inFlight < MAX_CALLS_IN_FLIGHT && state.queued.length) {
    const { callId, name, args: argsH } = state.queued.shift();
    const args = vm.getString(argsH);
    argsH.dispose();
    if (Buffer.byteLength(args) > state.limits.maxOutputBytes) {
      settleCall(state, vm, callId, { ok: false, message: argsTooLarge(state, name) });
      continue;
    }
    state.inFlight++;
    port.postMessage({ type: 'call', runId: state.runId, callId, name, args, logs: takeLogs(state) });
  }
}

function deliverReplies(state, vm) {
  for (const reply of state.replies.splice(0)) {
    if (!state.pending.has(reply.callId)) continue;
    state.inFlight--;
    settleCall(state, vm, reply.callId, reply);
  }
  sendQueuedCalls(state, vm);
}

function settleCall(state, vm, callId, reply) {
  const deferred = state.pending.get(callId);
  state.pending.delete(callId);
  if (reply.ok && (reply.value === undefined || Buffer.byteLength(reply.value) <= state.limits.maxHostResultBytes)) {
    const value = reply.value === undefined ? vm.undefined : vm.newString(reply.value);
    deferred.resolve(value);
    if (value !== vm.undefined) value.dispose();
  } else {
    const err = vm.newError({ name: 'HostCallError', message: reply.ok ? 'the host call returned too much data' : reply.message });
    if (!reply.ok && reply.code) vm.setProp(err, 'code', vm.newString(reply.code));
    deferred.reject(err);
    err.dispose();
  }
  deferred.dispose();
}

function appendLog(state, vm, lineH) {
  const room = state.limits.maxLogBytes - state.logBytes;
  // The glue clips a line to maxLogBytes characters; a longer one did not come from it and is not copied.
  if (room <= 0 || vm.typeof(lineH) !== 'string' || stringLength(vm, lineH) > state.limits.maxLogBytes) {
    state.logDropped++;
    return;
  }
  let line = vm.getString(lineH);
  if (Buffer.byteLength(line) + 1 > room) {
    // Keep what fits of this line; the rest of the run's logs are dropped.
    line = line.slice(0, room - 1);
    while (line.length && Buffer.byteLength(line) + 1 > room) line = line.slice(0, -1);
    state.logDropped++;
    state.logBytes = state.limits.maxLogBytes;
  } else {
    state.logBytes += Buffer.byteLength(line) + 1;
  }
  state.logs.push(line);
}

function stringLength(vm, handle) {
  const h = vm.getProp(handle, 'length');
  try {
    return vm.getNumber(h);
  } finally {
    h.dispose();
  }
}

function takeLogs(state) {
  return state.logs.splice(0);
}

/** Reads the runner's result: 'J' + JSON or 'I' + why the value is not JSON. */
function readOutput(state, vm, handle) {
  if (vm.typeof(handle) !== 'string') return { ok: false, kind: 'invalid_output', message: 'The result could not be read.' };
  if (stringLength(vm, handle) - 1 > state.limits.maxOutputBytes) return tooLarge(state);
  const text = vm.getString(handle);
  if (text[0] === 'I') return { ok: false, kind: 'invalid_output', message: `main() must return JSON data: ${clip(text.slice(1))}` };
  const json = text.slice(1);
  if (Buffer.byteLength(json) > state.limits.maxOutputBytes) return tooLarge(state);
  return { ok: true, output: json };
}

function tooLarge(state) {
  return { ok: false, kind: 'output_too_large', message: `The result is larger than ${state.limits.maxOutputBytes} bytes of JSON.` };
}

/** Turns a thrown guest value into an error kind; reading it runs no guest code after a stop. */
function guestError(state, vm, handle, context) {
  const stop = stopReason(state);
  if (stop) return { ok: false, ...stop };
  let name = '';
  let message = '';
  let stack = '';
  try {
    if (vm.typeof(handle) === 'object') {
      name = readString(vm, handle, 'name');
      message = readString(vm, handle, 'message');
      stack = readString(vm, handle, 'stack');
    } else {
      message = String(vm.dump(handle));
    }
  } catch {
    const late = stopReason(state);
    if (late) return { ok: false, ...late };
    message = message || 'an error that could not be read';
  }
  if (name === 'InternalError') {
    if (message === 'interrupted') return { ok: false, ...(stopReason(state) ?? timeoutError(state)) };
    if (message === 'out of memory' || message === 'string too long')
      return { ok: false, kind: 'memory', message: `The code ran out of memory (limit ${state.limits.memoryBytes} bytes): ${message}.` };
  }
  // QuickJS reports deep nesting in JSON.parse or the parser as a SyntaxError with this message.
  if (message === 'stack overflow')
    return { ok: false, kind: 'stack', message: 'The code overflowed its stack (too deep recursion or nesting).' + trace(stack) };
  if (!name && !message) {
    const value = describeValue(vm, handle);
    // Out of memory while building the error itself: QuickJS then throws null.
    if ((value === 'null' || value === 'undefined') && memoryNearlyFull(state))
      return { ok: false, kind: 'memory', message: `The code ran out of memory (limit ${state.limits.memoryBytes} bytes).` };
    message = `the code threw a value that is not an Error: ${value}`;
  }
  const kind = name === 'HostCallError' ? 'host' : 'script';
  const text = `${name ? `${name}: ` : ''}${message}${trace(stack)}`;
  return { ok: false, kind, message: clip(context ? `${context}: ${text}` : text) };
}

function memoryNearlyFull(state) {
  return memory !== null && memory.buffer.byteLength >= state.limits.memoryBytes * 0.9;
}

function describeValue(vm, handle) {
  try {
    const value = vm.dump(handle);
    return clip(JSON.stringify(value) ?? String(value)).slice(0, 200);
  } catch {
    return '(unreadable)';
  }
}

function readString(vm, handle, key) {
  const h = vm.getProp(handle, key);
  try {
    return vm.typeof(h) === 'string' ? vm.getString(h) : '';
  } finally {
    h.dispose();
  }
}

function trace(stack) {
  const lines = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && !l.includes('(platform.js:'))
    .slice(0, 10);
  return lines.length ? `\n    ${lines.join('\n    ')}` : '';
}

function clip(s) {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s;
}

function crashed(err) {
  const stack = err instanceof RangeError && /call stack/.test(err.message);
  return {
    ok: false,
    kind: stack ? 'stack' : 'crashed',
    message: stack ? 'The code overflowed the stack.' : `The sandbox failed: ${clip(String(err?.message ?? err))}`,
    fatal: true,
  };
}

function finish(outcome) {
  const state = current;
  if (!state) return;
  current = null;
  const logs = takeLogs(state);
  if (state.logDropped) logs.push(`[logs truncated at ${state.limits.maxLogBytes} bytes; ${state.logDropped} more lines dropped]`);
  const mem = process.memoryUsage();
  // Fatal kinds tell the main thread to discard this worker.
  const discard = !outcome.ok && (outcome.fatal === true || ['timeout', 'memory', 'crashed'].includes(outcome.kind));
  delete outcome.fatal;
  port.postMessage({
    type: 'done',
    runId: state.runId,
    outcome,
    logs,
    hostCalls: state.hostCalls,
    heapBytes: mem.heapUsed + mem.external,
    wasmBytes: memory ? memory.buffer.byteLength : 0,
    discard,
  });
  // Zero the memory now, while the main thread reads the result, so the next run starts at once. A memory
  // that grew past what the pool reuses is dropped instead (zeroing it would only commit more pages).
  if (memory && (discard || memory.buffer.byteLength > state.msg.reuseMemoryUpTo)) {
    memory = null;
  } else if (memory) {
    new Uint8Array(memory.buffer).fill(0);
    memoryDirty = false;
  }
}

port.postMessage({ type: 'ready', envKeys: Object.keys(process.env).length });
