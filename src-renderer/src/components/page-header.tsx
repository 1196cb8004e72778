import { useEffect, useRef, type ReactNode } from 'react';

let firstHeading = true;

/**
 * A page's title (its one h1, named like its nav link), an optional line of context and
 * actions. After the first page, focus moves to the new h1 so keyboard and screen-reader
 * users land on the page they opened.
 */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (firstHeading) {
      firstHeading = false;
      return;
    }
    h1.current?.focus({ preventScroll: true });
  }, []);
  return (
    <header className="page-header">
      <div>
        <h1 ref={h1} tabIndex={-1}>
          {title}
        </h1>
        {description !== undefined && <p className="page-description">{description}</p>}
      </div>
      {actions !== undefined && <div className="page-actions">{actions}</div>}
    </header>
  );
}
