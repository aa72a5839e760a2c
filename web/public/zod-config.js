// Zod builds fast parsers with `new Function` when it may, and probes for it when a schema is made.
// The page's CSP (script-src 'self') forbids eval, so the probe alone raises a CSP violation. Zod
// reads this global before any module of the app runs: parse without eval.
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
