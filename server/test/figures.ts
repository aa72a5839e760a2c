import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the reliability suites leave their headline figures for `npm run report:reliability`. */
export const FIGURES_DIR = resolve(import.meta.dirname, '../../.reliability');

/**
 * Records a suite's figures (what it tried) and its breaches (what must be zero). The suite's own
 * assertions fail it on a breach; the report reads these files to print the figures together.
 */
export function recordFigures(suite: string, figures: Record<string, number>, breaches: number): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(
    join(FIGURES_DIR, `${suite.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`),
    `${JSON.stringify({ suite, figures, breaches, at: new Date().toISOString() })}\n`,
  );
}
