import { RATE_UNITS, type RateDraft, type RateUnit } from './format/size-units.js';
import type { FieldControlProps } from './field.js';

/** A rate plus a unit (Mbit/s, MB/s, kB/s); the select is named "Unit" (not "<label> unit", so a search for the label finds one control). */
export function RateInput({ value, onChange, control, label }: { value: RateDraft; onChange(next: RateDraft): void; control: FieldControlProps; label: string }) {
  return (
    <div className="input-with-unit">
      <input {...control} type="text" inputMode="decimal" autoComplete="off" value={value.amount} onChange={(e) => onChange({ ...value, amount: e.target.value })} />
      <select aria-label="Unit" title={`Unit of ${label.toLowerCase()}`} value={value.unit} onChange={(e) => onChange({ ...value, unit: e.target.value as RateUnit })}>
        {Object.keys(RATE_UNITS).map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </div>
  );
}
