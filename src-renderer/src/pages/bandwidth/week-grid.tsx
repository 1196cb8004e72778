import type { BandwidthScheduleEntry } from '../../../../src-main/ipc/ipc-contract.js';
import { formatLimit } from '../../components/format/format-bytes.js';
import { DAY_NAMES, limitForHour } from './schedule-validation.js';

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** A 7 × 24 picture of the week: which hours a window covers (its limit in the cell's title). */
export function WeekGrid({ entries, defaultBytesPerSec }: { entries: readonly BandwidthScheduleEntry[]; defaultBytesPerSec: number }) {
  return (
    <table className="week-grid" aria-label="Weekly schedule by hour">
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Day</span>
          </th>
          {HOURS.map((h) => (
            <th key={h} scope="col" className="small">
              {h % 3 === 0 ? String(h).padStart(2, '0') : <span className="visually-hidden">{h}</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {DAY_NAMES.map((day, d) => (
          <tr key={day}>
            <th scope="row" className="small">
              {day.slice(0, 3)}
            </th>
            {HOURS.map((h) => {
              const limit = limitForHour(entries, d, h);
              const text = `${day} ${String(h).padStart(2, '0')}:00 — ${formatLimit(limit ?? defaultBytesPerSec)}${limit === null ? ' (default)' : ''}`;
              return <td key={h} className={limit === null ? 'cell-default' : limit === 0 ? 'cell-unlimited' : 'cell-scheduled'} title={text} aria-label={text} />;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
