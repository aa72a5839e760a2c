import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of this process, served at /metrics. Modules add their own through `registry`. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpErrors: Counter<'route' | 'code'>;
  /** Runs admitted (queued) or refused, by trigger kind and reason. */
  readonly runsAdmitted: Counter<'trigger'>;
  readonly runsRefused: Counter<'reason'>;
  /** Runs that finished, by status. */
  readonly runsFinished: Counter<'status'>;
  /** From admission to the first step, by plan priority. */
  readonly triggerToStart: Histogram<'priority'>;
  readonly runDuration: Histogram<'status'>;
  /** Executor time between one step's work and the next (recording, checks, templates), without the steps. */
  readonly stepOverhead: Histogram;
  readonly modelTokens: Counter<'direction' | 'model'>;
  readonly modelCostMicros: Counter<'model'>;
  /** Calls to operator routes by signed-in people who are not operators (each is also logged). */
  readonly operatorDenied: Counter<'route'>;
}

export function createMetrics(opts: { defaultMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'csme_' });
  const httpDuration = new Histogram({
    name: 'csme_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpErrors = new Counter({
    name: 'csme_http_errors_total',
    help: 'HTTP error answers by route and error code',
    labelNames: ['route', 'code'] as const,
    registers: [registry],
  });
  const lat = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  return {
    registry,
    httpDuration,
    httpErrors,
    runsAdmitted: new Counter({
      name: 'csme_runs_admitted_total',
      help: 'Runs admitted to the queue',
      labelNames: ['trigger'] as const,
      registers: [registry],
    }),
    runsRefused: new Counter({
      name: 'csme_runs_refused_total',
      help: 'Triggers refused (recorded as refused runs)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    runsFinished: new Counter({
      name: 'csme_runs_finished_total',
      help: 'Runs that finished',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    triggerToStart: new Histogram({
      name: 'csme_run_trigger_to_start_seconds',
      help: 'From admission to the start of execution',
      labelNames: ['priority'] as const,
      buckets: lat,
      registers: [registry],
    }),
    stepOverhead: new Histogram({
      name: 'csme_step_overhead_seconds',
      help: 'Executor time between steps, excluding the steps themselves',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'csme_run_duration_seconds',
      help: 'Run execution time',
      labelNames: ['status'] as const,
      buckets: lat,
      registers: [registry],
    }),
    modelTokens: new Counter({
      name: 'csme_model_tokens_total',
      help: 'Model tokens used',
      labelNames: ['direction', 'model'] as const,
      registers: [registry],
    }),
    modelCostMicros: new Counter({
      name: 'csme_model_cost_micros_total',
      help: 'Model cost in micro-dollars',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    operatorDenied: new Counter({
      name: 'csme_operator_route_denied_total',
      help: 'Operator routes refused to signed-in people who are not operators',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
  };
}
