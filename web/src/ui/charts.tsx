import { useId } from 'react';

/**
 * A grouped bar chart drawn as SVG (no chart library: one chart kind, a few dozen lines). It is an image
 * with a title and a text summary for screen readers; pages show the same figures in a table beside it,
 * which is the accessible alternative (and what people copy from).
 */
export interface BarSeries<R> {
  key: string;
  label: string;
  /** 1-4: the chart colour tokens (--chart-1 ... --chart-4). */
  tone: 1 | 2 | 3 | 4;
  /** The bar's height for one row (a category). */
  value: (row: R) => number;
}

const W = 640;
const H = 260;
const PAD = { top: 16, right: 12, bottom: 44, left: 72 };

function niceStep(span: number): number {
  if (span <= 0) return 1;
  const raw = span / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

export function BarChart<R>({
  title,
  summary,
  rows,
  category,
  series: bars,
  format,
}: {
  title: string;
  /** One or two sentences a screen reader reads instead of the picture. */
  summary: string;
  /** One group of bars a row. */
  rows: R[];
  /** The row's label under its group. */
  category: (row: R) => string;
  series: BarSeries<R>[];
  format: (n: number) => string;
}) {
  const id = useId();
  const categories = rows.map(category);
  const series = bars.map((s) => ({ ...s, values: rows.map(s.value) }));
  const all = series.flatMap((s) => s.values);
  const max = Math.max(0, ...all);
  const min = Math.min(0, ...all);
  const step = niceStep(max - min || 1);
  const top = Math.ceil(max / step) * step || step;
  const bottom = Math.floor(min / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + ((top - v) / (top - bottom)) * plotH;
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.max(4, Math.min(36, (groupW * 0.8) / Math.max(1, series.length)));
  const ticks: number[] = [];
  for (let v = bottom; v <= top + step / 2; v += step) ticks.push(v);
  return (
    <figure className="chart">
      <div dir="ltr">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
          <title id={`${id}-t`}>{title}</title>
          <desc id={`${id}-d`}>{summary}</desc>
          {ticks.map((v) => (
            <g key={v}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className={v === 0 ? 'axis' : 'grid'} />
              <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="tick">
                {format(v)}
              </text>
            </g>
          ))}
          {categories.map((c, i) => {
            const x0 = PAD.left + i * groupW + (groupW - barW * series.length) / 2;
            return (
              <g key={c}>
                {series.map((s, k) => {
                  const v = s.values[i] ?? 0;
                  const y1 = y(Math.max(0, v));
                  const h = Math.max(v === 0 ? 0 : 1, Math.abs(y(v) - y(0)));
                  return (
                    <rect key={s.key} x={x0 + k * barW} y={y1} width={barW - 2} height={h} className={`bar tone-${s.tone}`}>
                      <title>{`${c}, ${s.label}: ${format(v)}`}</title>
                    </rect>
                  );
                })}
                <text x={PAD.left + i * groupW + groupW / 2} y={H - PAD.bottom + 18} textAnchor="middle" className="tick">
                  {c}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <figcaption className="legend">
        <strong>{title}</strong>
        {series.map((s) => (
          <span key={s.key} className="legend-item">
            <span className={`swatch tone-${s.tone}`} aria-hidden="true" />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
