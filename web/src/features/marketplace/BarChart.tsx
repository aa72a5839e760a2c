import { useId } from 'react';

export interface Series {
  label: string;
  /** One value per point; null where a figure is withheld. */
  values: Array<number | null>;
  tone: 'primary' | 'muted' | 'ok';
}

/**
 * A small bar chart drawn as SVG (no chart library: a few rectangles need none), with the same figures
 * as a table for screen readers and anyone who prefers numbers. Withheld values leave a gap and read
 * as the `withheld` text in the table.
 */
export function BarChart({
  title,
  labels,
  series,
  withheld,
  format = (n) => n.toLocaleString(),
  tableLabel,
}: {
  title: string;
  labels: string[];
  series: Series[];
  withheld: string;
  format?: (n: number) => string;
  tableLabel: string;
}) {
  const id = useId();
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const width = 600;
  const height = 160;
  const slot = width / Math.max(1, labels.length);
  const bar = Math.max(1, (slot - 2) / series.length);
  const total = series.map((s) => s.values.reduce<number>((a, v) => a + (v ?? 0), 0));
  return (
    <figure className="chart stack" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>
        <strong>{title}</strong>
        <span className="muted small"> {series.map((s, i) => `${s.label}: ${format(total[i] ?? 0)}`).join(' · ')}</span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} preserveAspectRatio="none" className="chart-svg">
        <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="chart-axis" />
        {labels.map((l, i) =>
          series.map((s, j) => {
            const v = s.values[i];
            if (v === null || v === undefined || v === 0) return null;
            const h = (v / max) * (height - 8);
            return (
              <rect
                key={`${l}-${s.label}`}
                x={i * slot + 1 + j * bar}
                y={height - h}
                width={bar}
                height={h}
                className={`chart-bar ${s.tone}`}
              />
            );
          }),
        )}
      </svg>
      <div className="row small">
        {series.map((s) => (
          <span key={s.label} className="row">
            <span className={`chart-key ${s.tone}`} aria-hidden="true" />
            {s.label}
          </span>
        ))}
      </div>
      <details>
        <summary>{tableLabel}</summary>
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{labels.length ? '' : ''}</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((l, i) => (
                <tr key={l}>
                  <th scope="row">{l}</th>
                  {series.map((s) => {
                    const v = s.values[i];
                    return <td key={s.label}>{v === null || v === undefined ? withheld : format(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
