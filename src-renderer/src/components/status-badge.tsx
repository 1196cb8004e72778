import type { ReactNode } from 'react';
import type { Tone } from './stat-card.js';

/** A short coloured state label; the text carries the meaning, the colour only repeats it. */
export function StatusBadge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} title={title}>
      {children}
    </span>
  );
}
