// Runs creator JavaScript (the code steps of packs) behind two walls: QuickJS compiled to WebAssembly with a
// bounded memory, a deadline and a stack limit (first wall), inside a worker thread that holds no secrets,
// no database connection and no app module, and is terminated at a hard wall-clock limit (second wall).
// Host calls (granted skills) run here in the main thread, reached through JSON messages checked both ways.
// See docs/sandbox.md. The worker side is sandbox.worker.mjs.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import secureJson from 'secure-json-parse';
import { isAppError } from '#core/errors.js';

export interface SandboxLimits {
  /** Wall-clock budget of the run, host calls included. The guest is interrupted at it; the worker is killed shortly after. */
  timeoutMs: number;
  /** Bound of the run's WebAssembly memory (the whole QuickJS heap). */
  memoryBytes: number;
  /** Largest JSON the code may return, and the largest args of one host call. */
  maxOutputBytes: number;
  /** Total size of platform.log lines kept (UTF-8, one byte per line for the break); the rest is dropped and counted. */
  maxLogBytes: number;
  /** Host calls per run; one more stops the run with kind `host`. */
  maxHostCalls: number;
  /** Largest JSON one host call may hand back to the code. */
  maxHostResultBytes: number;
}

/** A function the code may reach by name through platform.call, e.g. a granted skill. Runs in the main thread. */
export type HostCall = (args: unknown, opts: { signal: AbortSignal }) => Promise<unknown>;

export interface SandboxRequest {
  /** Source text that defines `async function main(input, platform)`. Never bytecode. */
  source: string;
  /** JSON-serialisable; the code receives a copy. */
  input: unknown;
  /** The only names platform.call reaches. */
  hostCalls: Record<string, HostCall>;
  limits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
}

export type SandboxErrorKind =
  | 'timeout'
  | 'memory'
  | 'stack'
  | 'script'
  | 'host'
  | 'output_too_large'
  | 'invalid_output'
  | 'cancelled'
  | 'crashed';

export interface SandboxStats {
  /** From handing the run to a worker (starting it, when cold) to its result; waiting for a free slot is not included. */
  wallMs: number;
  hostCalls: number;
  /** Time spent waiting for a free slot. */
  queuedMs: number;
  /** True when the run started a new worker (cold) instead of reusing a warm one. */
  coldStart: boolean;
}

export type SandboxResult =
  | { ok: true; output: unknown; logs: string[]; stats: SandboxStats }
  | { ok: false; error: { kind: SandboxErrorKind; message: string }; logs: string[]; stats: SandboxStats };

export interface SandboxPoolOptions {
  /** Runs at once in this process; the others wait their turn. Default: the number of CPUs. */
  concurrency: number;
  /** A worker is replaced after this many runs. */
  maxRunsPerWorker: number;
  /** An idle worker is ended after this long. */
  idleTimeoutMs: number;
  /** A worker whose own heap (V8 heap + external memory, the wasm memory included) grew past this after a run is replaced. */
  maxWorkerHeapBytes: number;
  /** A worker whose WebAssembly memory grew past this during a run is replaced (the memory never shrinks). */
  maxWasmBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 5_000,
  memoryBytes: 64 * MiB,
  maxOutputBytes: 1 * MiB,
  maxLogBytes: 64 * KiB,
  maxHostCalls: 100,
  maxHostResultBytes: 4 * MiB,
});

/** Inclusive bounds a caller may set limits within (outside them is a programming error: RangeError). */
const LIMIT_BOUNDS: Record<keyof SandboxLimits, readonly [number, number]> = {
  timeoutMs: [1, 15 * 60_000],
  memoryBytes: [24 * MiB, 1024 * MiB],
  maxOutputBytes: [0, 16 * MiB],
  maxLogBytes: [0, 1 * MiB],
  maxHostCalls: [0, 10_000],
  maxHostResultBytes: [0, 16 * MiB],
};

const MAX_SOURCE_BYTES = 1 * MiB;
const MAX_INPUT_BYTES = 8 * MiB;
const WASM_PAGE = 64 * KiB;
/** Time a worker gets to start (load and compile QuickJS). */
const WORKER_START_MS = 30_000;
/** After a cancel, how long the worker gets to stop the guest before it is terminated. */
const CANCEL_GRACE_MS = 250;
const WORKER_URL = new URL('./sandbox.worker.mjs', import.meta.url);
/**
 * The worker's own V8 heap (not the guest's wasm memory, which is bounded by memoryBytes): it holds the
 * source, the input, the output and one host result as strings, at most a few times the largest of each.
 */
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

/** The second wall: the worker is terminated this long after the deadline if the guest has not been stopped. */
export function hardWallMs(timeoutMs: number): number {
  return timeoutMs + Math.min(1_000, Math.max(100, Math.round(timeoutMs * 0.1)));
}

// ---------------------------------------------------------------------------------------------------------
// Messages between the main thread and the worker (the worker side is plain JS; keep these in step).

type Outcome = { ok: true; output: string } | { ok: false; kind: SandboxErrorKind; message: string };
type FromWorker =
  | { type: 'ready'; envKeys: number }
  | { type: 'call'; runId: number; callId: number; name: string; args: string; logs: string[] }
  | {
      type: 'done';
      runId: number;
      outcome: Outcome;
      logs: string[];
      hostCalls: number;
      heapBytes: number;
      wasmBytes: number;
      discard: boolean;
    };

// ---------------------------------------------------------------------------------------------------------

class PooledWorker {
  readonly worker: Worker;
  /** Shared with the worker: non-zero stops the running guest at its next interrupt check. */
  readonly control = new Int32Array(new SharedArrayBuffer(4));
  readonly ready: Promise<void>;
  runs = 0;
  dead = false;
  envKeys = -1;
  idleTimer: NodeJS.Timeout | undefined;
  /** The current run's handlers. */
  onMessage: ((m: FromWorker) => void) | null = null;
  onFailure: ((err: Error) => void) | null = null;

  constructor(resourceLimits: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number; stackSizeMb: number }) {
    this.worker = new Worker(WORKER_URL, {
      name: 'csme-sandbox',
      env: {}, // no process.env: no keys, no DATABASE_URL
      argv: [],
      execArgv: [], // no inherited loaders or flags
      stdout: true,
      stderr: true,
      workerData: { control: this.control.buffer },
      resourceLimits,
    });
    // The worker's console (QuickJS prints on an abort) is read and dropped, never mixed into our logs.
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m && typeof m === 'object' && m.type === 'ready') {
          this.envKeys = m.envKeys;
          resolve();
        } else this.onMessage?.(m);
      });
      const fail = (err: Error) => {
        this.dead = true;
        reject(err);
        this.onFailure?.(err);
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`the sandbox worker exited (code ${code})`)));
    });
    this.ready.catch(() => {});
  }

  terminate(): Promise<unknown> {
    this.dead = true;
    clearTimeout(this.idleTimer);
    return this.worker.terminate().catch(() => {});
  }
}

interface Waiter {
  resolve: (granted: boolean) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

class SandboxPool {
  private readonly idle: PooledWorker[] = [];
  private readonly busy = new Set<PooledWorker>();
  private readonly waiters: Waiter[] = [];
  private running = 0;
  private closed = false;
  private runSeq = 0;
  workersStarted = 0;
  workersDiscarded = 0;
  workerEnvVars = 0;

  readonly options: SandboxPoolOptions;

  constructor(options: SandboxPoolOptions) {
    this.options = options;
  }

  /** Waits for a free slot (FIFO). False when the signal aborted or the pool closed while waiting. */
  acquire(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    if (this.running < this.options.concurrency && this.waiters.length === 0) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(false);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    this.running--;
    this.pump();
  }

  pump(): void {
    while (!this.closed && this.running < this.options.concurrency && this.waiters.length) {
      const w = this.waiters.shift()!;
      w.signal?.removeEventListener('abort', w.onAbort);
      this.running++;
      w.resolve(true);
    }
  }

  /** A warm worker if one is idle, else a new one (cold). */
  take(): { worker: PooledWorker; cold: boolean } {
    for (let w = this.idle.pop(); w; w = this.idle.pop()) {
      clearTimeout(w.idleTimer);
      if (!w.dead) {
        this.busy.add(w);
        return { worker: w, cold: false };
      }
    }
    const worker = new PooledWorker(WORKER_RESOURCE_LIMITS);
    this.workersStarted++;
    this.busy.add(worker);
    return { worker, cold: true };
  }

  /**
   * Returns a worker after a run: kept warm, or ended. Resolves once an ended worker is gone, so that the
   * run's slot (and with it the bound on live workers and their memory) is freed only then.
   */
  giveBack(worker: PooledWorker, discard: boolean, memory = { heapBytes: 0, wasmBytes: 0 }): Promise<unknown> {
    this.busy.delete(worker);
    worker.onMessage = null;
    worker.onFailure = null;
    const keep =
      !discard &&
      !worker.dead &&
      !this.closed &&
      worker.runs < this.options.maxRunsPerWorker &&
      memory.heapBytes <= this.options.maxWorkerHeapBytes &&
      memory.wasmBytes <= this.options.maxWasmBytes &&
      this.idle.length < this.options.concurrency;
    if (!keep) {
      this.workersDiscarded++;
      return worker.terminate();
    }
    worker.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      this.workersDiscarded++;
      void worker.terminate();
    }, this.options.idleTimeoutMs);
    worker.idleTimer.unref();
    this.idle.push(worker);
    return Promise.resolve();
  }

  nextRunId(): number {
    return ++this.runSeq;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats() {
    return {
      concurrency: this.options.concurrency,
      running: this.running,
      queued: this.waiters.length,
      idleWorkers: this.idle.length,
      busyWorkers: this.busy.size,
      workersStarted: this.workersStarted,
      workersDiscarded: this.workersDiscarded,
      /** Environment variables seen by any worker of this pool: always 0 (workers start with an empty env). */
      workerEnvVars: this.workerEnvVars,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(false);
    }
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }
}

let poolOptions: SandboxPoolOptions = {
  concurrency: availableParallelism(),
  maxRunsPerWorker: 1_000,
  idleTimeoutMs: 60_000,
  maxWorkerHeapBytes: 160 * MiB,
  maxWasmBytes: 32 * MiB,
};
let pool: SandboxPool | null = null;

function getPool(): SandboxPool {
  pool ??= new SandboxPool({ ...poolOptions });
  return pool;
}

/** Sets how many runs may go at once in this process, and worker recycling. Applies to runs that start from now on. */
export function configureSandboxPool(options: Partial<SandboxPoolOptions>): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new RangeError(`configureSandboxPool: ${key} must be a positive integer`);
  }
  poolOptions = { ...poolOptions, ...options };
  if (pool) {
    Object.assign(pool.options, options);
    pool.pump();
  }
}

/** Counters for metrics and tests. */
export function sandboxPoolStats() {
  return (
    pool?.stats() ?? {
      concurrency: poolOptions.concurrency,
      running: 0,
      queued: 0,
      idleWorkers: 0,
      busyWorkers: 0,
      workersStarted: 0,
      workersDiscarded: 0,
      workerEnvVars: 0,
    }
  );
}

/** Ends every worker; queued and running runs end as `cancelled`. The next run starts a new pool. */
export async function closeSandboxPool(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.close();
}

/** Resolves the limits of one run; a value outside LIMIT_BOUNDS is a programming error. */
function resolveSandboxLimits(partial: Partial<SandboxLimits> | undefined): SandboxLimits {
  const limits = { ...DEFAULT_SANDBOX_LIMITS };
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof SandboxLimits)[]) {
    const value = partial?.[key];
    if (value === undefined) continue;
    const [min, max] = LIMIT_BOUNDS[key];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`sandbox limit ${key} must be an integer from ${min} to ${max}, got ${value}`);
    limits[key] = value;
  }
  limits.memoryBytes = Math.ceil(limits.memoryBytes / WASM_PAGE) * WASM_PAGE;
  return limits;
}

/**
 * Runs the creator's `main(input, platform)` in a fresh QuickJS instance in a pooled worker thread.
 * Never throws for anything the code does: every failure comes back as `{ ok: false, error: { kind, message } }`.
 * Throws (TypeError/RangeError) only for the caller's own mistakes: a non-string source, input that is not
 * JSON, limits out of bounds.
 */
export async function runSandboxed(req: SandboxRequest): Promise<SandboxResult> {
  if (typeof req.source !== 'string') throw new TypeError('runSandboxed: source must be a string of JavaScript (bytecode is not accepted)');
  const limits = resolveSandboxLimits(req.limits);
  let input: string | undefined;
  try {
    input = JSON.stringify(req.input ?? null);
  } catch (err) {
    throw new TypeError(`runSandboxed: input must be JSON-serialisable (${(err as Error).message})`);
  }
  if (input === undefined) throw new TypeError('runSandboxed: input must be JSON-serialisable');
  if (input.length > MAX_INPUT_BYTES || Buffer.byteLength(input) > MAX_INPUT_BYTES)
    throw new RangeError(`runSandboxed: input is larger than ${MAX_INPUT_BYTES} bytes of JSON`);
  const hostCalls = new Map<string, HostCall>();
  for (const [name, fn] of Object.entries(req.hostCalls ?? {})) {
    if (typeof fn !== 'function') throw new TypeError(`runSandboxed: host call ${name} is not a function`);
    hostCalls.set(name, fn);
  }

  const stats: SandboxStats = { wallMs: 0, hostCalls: 0, queuedMs: 0, coldStart: false };
  const fail = (kind: SandboxErrorKind, message: string, logs: string[] = []): SandboxResult => ({
    ok: false,
    error: { kind, message },
    logs,
    stats,
  });
  if (Buffer.byteLength(req.source) > MAX_SOURCE_BYTES) return fail('script', `The code is larger than ${MAX_SOURCE_BYTES} bytes.`);

  const p = getPool();
  const queuedAt = performance.now();
  const granted = await p.acquire(req.signal);
  stats.queuedMs = Math.round(performance.now() - queuedAt);
  if (!granted) return fail('cancelled', p.isClosed ? 'The sandbox was shut down.' : 'The run was cancelled before it started.');
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    p.release();
  };
  try {
    return await runInWorker(p, req, { source: req.source, input, limits, hostCalls }, stats, release);
  } catch (err) {
    release();
    throw err;
  }
}

interface Prepared {
  source: string;
  input: string;
  limits: SandboxLimits;
  hostCalls: Map<string, HostCall>;
}

/** Runs in a worker; frees the slot (`release`) once the worker is back in the pool or gone. */
async function runInWorker(
  p: SandboxPool,
  req: SandboxRequest,
  run: Prepared,
  stats: SandboxStats,
  release: () => void,
): Promise<SandboxResult> {
  const { limits } = run;
  const { worker: slot, cold } = p.take();
  stats.coldStart = cold;
  const startedAt = performance.now();
  const fail = (kind: SandboxErrorKind, message: string, logs: string[] = []): SandboxResult => {
    stats.wallMs = Math.round(performance.now() - startedAt);
    return { ok: false, error: { kind, message }, logs, stats };
  };

  // A cold worker first loads QuickJS; that time is not taken from the run's budget.
  const started = await waitReady(slot, req.signal);
  if (started !== 'ready') {
    void p.giveBack(slot, true).then(release);
    if (p.isClosed) return fail('cancelled', 'The sandbox was shut down.');
    if (started === 'cancelled') return fail('cancelled', 'The run was cancelled before it started.');
    return fail('crashed', `The sandbox worker did not start: ${started}`);
  }
  slot.runs++;
  p.workerEnvVars = Math.max(p.workerEnvVars, slot.envKeys);
  const runId = p.nextRunId();

  return new Promise<SandboxResult>((resolve) => {
    const logs: string[] = [];
    let logBytes = 0;
    let logsDropped = 0;
    const hostAbort = new AbortController();
    let settled = false;
    let cancelTimer: NodeJS.Timeout | undefined;

    const settle = (result: SandboxResult, discard: boolean, memory?: { heapBytes: number; wasmBytes: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(hardWall);
      clearTimeout(cancelTimer);
      req.signal?.removeEventListener('abort', onAbort);
      hostAbort.abort();
      if (logsDropped) logs.push(`[logs truncated at ${limits.maxLogBytes} bytes; ${logsDropped} more lines dropped]`);
      stats.wallMs = Math.round(performance.now() - startedAt);
      void p.giveBack(slot, discard, memory).then(release);
      resolve(result);
    };
    const failWith = (kind: SandboxErrorKind, message: string, discard: boolean) =>
      settle({ ok: false, error: { kind, message }, logs, stats }, discard);

    const addLogs = (lines: unknown) => {
      if (!Array.isArray(lines)) return;
      for (const line of lines) {
        if (typeof line !== 'string') continue;
        const bytes = Buffer.byteLength(line) + 1;
        // The worker already capped them; its own truncation marker may add one line.
        if (logBytes + bytes > limits.maxLogBytes + 200) {
          logsDropped++;
          continue;
        }
        logs.push(line);
        logBytes += bytes;
      }
    };

    // The second wall: if the guest is still running shortly after its deadline, the worker is terminated.
    const hardWall = setTimeout(
      () => failWith('timeout', `The code ran longer than its time limit of ${limits.timeoutMs} ms and was stopped.`, true),
      hardWallMs(limits.timeoutMs),
    );

    const onAbort = () => {
      Atomics.store(slot.control, 0, 1);
      slot.worker.postMessage({ type: 'cancel', runId });
      cancelTimer = setTimeout(() => failWith('cancelled', 'The run was cancelled.', true), CANCEL_GRACE_MS);
    };
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });

    slot.onFailure = (err) => {
      const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (p.isClosed) failWith('cancelled', 'The sandbox was shut down.', true);
      else if (oom) failWith('memory', 'The sandbox worker ran out of memory.', true);
      else failWith('crashed', 'The sandbox worker stopped unexpectedly.', true);
    };

    slot.onMessage = (m) => {
      if (settled) return;
      if (!m || typeof m !== 'object' || !('runId' in m) || m.runId !== runId)
        return failWith('crashed', 'The sandbox worker sent an unexpected message.', true);
      if (m.type === 'call') {
        addLogs(m.logs);
        void hostCall(m);
      } else if (m.type === 'done') {
        addLogs(m.logs);
        stats.hostCalls = Math.max(stats.hostCalls, Number(m.hostCalls) || 0);
        const outcome = m.outcome;
        const discard = m.discard === true || (outcome?.ok === false && ['timeout', 'memory', 'crashed'].includes(outcome.kind));
        const heap = { heapBytes: Number(m.heapBytes) || 0, wasmBytes: Number(m.wasmBytes) || 0 };
        if (outcome?.ok === true && typeof outcome.output === 'string') {
          const parsed = parseOutput(outcome.output, limits);
          if (parsed.ok) settle({ ok: true, output: parsed.value, logs, stats }, discard, heap);
          else settle({ ok: false, error: parsed.error, logs, stats }, discard, heap);
        } else if (outcome?.ok === false && isKind(outcome.kind) && typeof outcome.message === 'string') {
          settle({ ok: false, error: { kind: outcome.kind, message: outcome.message.slice(0, 8_000) }, logs, stats }, discard, heap);
        } else failWith('crashed', 'The sandbox worker sent an unexpected result.', true);
      } else failWith('crashed', 'The sandbox worker sent an unexpected message.', true);
    };

    const reply = (callId: number, body: { ok: true; value: string | undefined } | { ok: false; message: string; code?: string }) => {
      if (!settled) slot.worker.postMessage({ type: 'reply', runId, callId, ...body });
    };

    const hostCall = async (m: Extract<FromWorker, { type: 'call' }>) => {
      stats.hostCalls++;
      const { callId, name, args } = m;
      const fn = typeof name === 'string' ? run.hostCalls.get(name) : undefined;
      // The worker checks all of this too; a worker is not trusted to have done it.
      if (!fn)
        return reply(callId, { ok: false, message: `platform.call: "${String(name).slice(0, 100)}" is not available to this step.` });
      if (stats.hostCalls > limits.maxHostCalls) return reply(callId, { ok: false, message: 'too many host calls' });
      if (typeof args !== 'string' || Buffer.byteLength(args) > limits.maxOutputBytes)
        return reply(callId, { ok: false, message: `platform.call("${name}"): args are too large.` });
      let parsedArgs: unknown;
      try {
        parsedArgs = secureJson.parse(args, null, { protoAction: 'remove', constructorAction: 'remove' });
      } catch {
        return reply(callId, { ok: false, message: `platform.call("${name}"): args are not JSON.` });
      }
      let value: unknown;
      try {
        value = await fn(parsedArgs, { signal: hostAbort.signal });
      } catch (err) {
        return reply(callId, { ok: false, ...hostErrorForGuest(err) });
      }
      let json: string | undefined;
      try {
        json = value === undefined ? undefined : JSON.stringify(value);
      } catch {
        return reply(callId, { ok: false, message: `platform.call("${name}"): the host returned a value that is not JSON.` });
      }
      if (json !== undefined && Buffer.byteLength(json) > limits.maxHostResultBytes)
        return reply(callId, {
          ok: false,
          message: `platform.call("${name}"): the result is larger than ${limits.maxHostResultBytes} bytes.`,
        });
      reply(callId, { ok: true, value: json });
    };

    if (slot.dead) return slot.onFailure(new Error('the sandbox worker is gone'));
    Atomics.store(slot.control, 0, 0);
    slot.worker.postMessage({
      type: 'run',
      runId,
      source: run.source,
      input: run.input,
      limits,
      hostCalls: [...run.hostCalls.keys()],
      deadline: Date.now() + limits.timeoutMs,
      reuseMemoryUpTo: p.options.maxWasmBytes,
    });
  });
}

function waitReady(slot: PooledWorker, signal: AbortSignal | undefined): Promise<'ready' | 'cancelled' | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(`no answer within ${WORKER_START_MS} ms`), WORKER_START_MS);
    const onAbort = () => done('cancelled');
    function done(result: string) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    }
    if (signal?.aborted) return done('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    slot.ready.then(
      () => done('ready'),
      (err: Error) => done(err.message),
    );
  });
}

const KINDS: readonly SandboxErrorKind[] = [
  'timeout',
  'memory',
  'stack',
  'script',
  'host',
  'output_too_large',
  'invalid_output',
  'cancelled',
  'crashed',
];
function isKind(k: unknown): k is SandboxErrorKind {
  return KINDS.includes(k as SandboxErrorKind);
}

function parseOutput(
  json: string,
  limits: SandboxLimits,
): { ok: true; value: unknown } | { ok: false; error: { kind: SandboxErrorKind; message: string } } {
  if (Buffer.byteLength(json) > limits.maxOutputBytes)
    return { ok: false, error: { kind: 'output_too_large', message: `The result is larger than ${limits.maxOutputBytes} bytes of JSON.` } };
  try {
    // `__proto__` keys are dropped so the result cannot pollute objects it is later merged into.
    return { ok: true, value: secureJson.parse(json, null, { protoAction: 'remove', constructorAction: 'remove' }) };
  } catch {
    return { ok: false, error: { kind: 'invalid_output', message: 'main() must return JSON data.' } };
  }
}

/**
 * What the guest sees of a host call's error. An AppError (an expected failure, whose message is written
 * for people) gives its message, with file paths masked, and its code such as `not_found`. Anything else is
 * an internal fault whose text may describe the host (SQL, paths, other data): the guest gets only a
 * generic message. Never the stack.
 */
export function hostErrorForGuest(err: unknown): { message: string; code?: string } {
  if (!isAppError(err)) return { message: 'The host call failed.' };
  const message =
    String(err.message)
      .replace(/file:\/\/[^\s'")]+/g, '[path]')
      .replace(/(?<![\w:/.-])\/(?:[\w.@+-]+\/)+[\w.@+-]*/g, '[path]')
      .slice(0, 1_000) || 'The host call failed.';
  return /^[a-z][a-z0-9_]{0,63}$/.test(err.code) ? { message, code: err.code } : { message };
}
