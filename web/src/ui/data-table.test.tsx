import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTable } from './data-table';

afterEach(cleanup);

const PEOPLE = [
  { id: 'a', name: 'Avi Levi', email: 'avi@example.com', runs: 1200 },
  { id: 'b', name: 'Dana Cohen', email: 'dana@example.com', runs: 3 },
];

describe('a data table', () => {
  it('is named by its caption and writes the markup the pages wrote by hand', () => {
    const { container } = render(
      <DataTable
        className="card"
        caption="People"
        rows={PEOPLE}
        rowKey={(p) => p.id}
        columns={[
          { key: 'name', header: 'Person', rowHeader: true, cell: (p) => p.name },
          { key: 'email', header: 'Email', dir: 'ltr', className: 'small', cell: (p) => p.email },
          { key: 'runs', header: 'Runs', num: true, cell: (p) => p.runs },
        ]}
      />,
    );
    expect(screen.getByRole('table', { name: 'People' })).toBeTruthy();
    expect(container.innerHTML).toBe(
      '<div class="card table-wrap"><table class="table"><caption class="visually-hidden">People</caption>' +
        '<thead><tr><th scope="col">Person</th><th scope="col">Email</th><th scope="col" class="num">Runs</th></tr></thead>' +
        '<tbody><tr><th scope="row">Avi Levi</th><td class="small" dir="ltr">avi@example.com</td><td class="num">1200</td></tr>' +
        '<tr><th scope="row">Dana Cohen</th><td class="small" dir="ltr">dana@example.com</td><td class="num">3</td></tr></tbody></table></div>',
    );
  });
});
