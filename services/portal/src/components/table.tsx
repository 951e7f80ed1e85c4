import type { ReactNode } from 'react';

/**
 * A scrollable data table with a caption for screen readers and one header row. An empty
 * column name is an actions column, named for screen readers only. Rows are the children.
 */
export function Table({ caption, columns, className, children }: { caption: string; columns: string[]; className?: string; children: ReactNode }): ReactNode {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((name, i) => (
              <th scope="col" key={`${name}-${i}`}>
                {name || <span className="visually-hidden">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
