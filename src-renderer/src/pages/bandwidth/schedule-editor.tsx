import { Field } from '../../components/field.js';
import { RateInput } from '../../components/rate-input.js';
import { DAY_NAMES, type ScheduleCheck, type ScheduleWindowDraft } from './schedule-validation.js';

let nextId = 0;
/** A fresh window id (React keys only). */
export function newWindowId(): string {
  return `w${++nextId}`;
}

/** A new window: weekdays 08:00–18:00 at 20 Mbit/s, a common office default. */
export function newWindow(): ScheduleWindowDraft {
  return { id: newWindowId(), days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', rate: { amount: '20', unit: 'Mbit/s' } };
}

/** The list of weekly windows: days, start, end and limit each; problems shown per window. */
export function ScheduleEditor({ windows, check, onChange }: { windows: readonly ScheduleWindowDraft[]; check: ScheduleCheck; onChange(next: ScheduleWindowDraft[]): void }) {
  const update = (id: string, patch: Partial<ScheduleWindowDraft>) => onChange(windows.map((w) => (w.id === id ? { ...w, ...patch } : w)));
  return (
    <div className="schedule-editor">
      {windows.length === 0 && <p className="muted">No scheduled windows: the default limit applies all week.</p>}
      <ol className="window-list">
        {windows.map((w, i) => {
          const errors = check.windowErrors[w.id] ?? [];
          return (
            <li key={w.id} className="window-item" aria-label={`Window ${i + 1}`}>
              <fieldset className="fieldset">
                <legend>Window {i + 1}</legend>
                <div className="day-picker" role="group" aria-label={`Window ${i + 1} days`}>
                  {DAY_NAMES.map((day, d) => (
                    <label key={day} className="day-choice">
                      <input
                        type="checkbox"
                        checked={w.days.includes(d)}
                        onChange={(e) => update(w.id, { days: e.target.checked ? [...w.days, d].sort((a, b) => a - b) : w.days.filter((x) => x !== d) })}
                        aria-label={`Window ${i + 1} ${day}`}
                      />
                      <span aria-hidden="true">{day.slice(0, 3)}</span>
                    </label>
                  ))}
                </div>
                <div className="field-row">
                  <Field label={`Window ${i + 1} start`} hint="HH:MM">
                    {(c) => <input {...c} type="text" className="time-input" placeholder="08:00" value={w.start} onChange={(e) => update(w.id, { start: e.target.value })} />}
                  </Field>
                  <Field label={`Window ${i + 1} end`} hint="HH:MM, 24:00 = midnight">
                    {(c) => <input {...c} type="text" className="time-input" placeholder="18:00" value={w.end} onChange={(e) => update(w.id, { end: e.target.value })} />}
                  </Field>
                  <Field label={`Window ${i + 1} limit`} hint="0 = unlimited">
                    {(c) => <RateInput control={c} label={`Window ${i + 1} limit`} value={w.rate} onChange={(rate) => update(w.id, { rate })} />}
                  </Field>
                  <button type="button" className="button button-small button-danger-outline" onClick={() => onChange(windows.filter((x) => x.id !== w.id))}>
                    Remove window {i + 1}
                  </button>
                </div>
                {errors.length > 0 && (
                  <ul className="problem-list field-error">
                    {errors.map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                )}
              </fieldset>
            </li>
          );
        })}
      </ol>
      {check.overlaps.length > 0 && (
        <ul className="problem-list field-error" data-testid="schedule-overlaps">
          {check.overlaps.map((o) => (
            <li key={o}>{o}</li>
          ))}
        </ul>
      )}
      <button type="button" className="button" onClick={() => onChange([...windows, newWindow()])}>
        Add window
      </button>
    </div>
  );
}
