/** A quiet placeholder for panels with nothing to show yet, with an optional action. */
import type { ReactNode } from 'react';

export function EmptyState({ icon, children }: { icon: ReactNode; children: ReactNode }) {
  return (
    <div className="empty-state">
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <div className="empty-text">{children}</div>
    </div>
  );
}
