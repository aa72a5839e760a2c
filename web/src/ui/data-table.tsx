import type { ReactNode } from 'react';

/** One column of a DataTable: its header and how a row fills its cell. */
export interface Column<R> {
  key: string;
  header: ReactNode;
  cell: (row: R) => ReactNode;
  /** A figure: aligned as numbers are, in the header and the cells. */
  num?: boolean;
  /** The cell names its row (`<th scope="row">`), as the first column usually does. */
  rowHeader?: boolean;
  /** Classes of the cells only (not the header). */
  className?: string;
  dir?: 'ltr';
}

/**
 * A table of rows under column headers. The caption is for screen readers (the heading above the table
 * says it for the eye) and is the table's accessible name.
 */
export function DataTable<R>({
  caption,
  columns,
  rows,
  rowKey,
  className,
}: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R) => string;
  /** Classes of the scrolling wrapper, besides `table-wrap`. */
  className?: string;
}) {
  return (
    <div className={[className, 'table-wrap'].filter(Boolean).join(' ')}>
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.num ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => {
                const className = [c.num ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ') || undefined;
                return c.rowHeader ? (
                  <th key={c.key} scope="row" className={className} dir={c.dir}>
                    {c.cell(r)}
                  </th>
                ) : (
                  <td key={c.key} className={className} dir={c.dir}>
                    {c.cell(r)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
