import { useEffect, type ReactNode } from 'react';

/**
 * A page's h1 and the document title. The h1 takes focus on arrival (it is the target of
 * the route change), so keyboard and screen-reader users start at the new page's top.
 */
export function PageHeading({ title, lead, children }: { title: string; lead?: string; children?: ReactNode }): ReactNode {
  useEffect(() => {
    document.title = `${title} · Hearth`;
  }, [title]);
  return (
    <div className="page-heading">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {lead && <p className="muted">{lead}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}
