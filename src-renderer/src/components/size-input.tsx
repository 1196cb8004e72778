import { SIZE_UNITS, type SizeDraft, type SizeUnit } from './format/size-units.js';
import type { FieldControlProps } from './field.js';

/** A number plus a unit (MiB/GiB/TiB); the select is named "Unit" (not "<label> unit", so a search for the label finds one control). */
export function SizeInput({ value, onChange, control, label, onBlur }: { value: SizeDraft; onChange(next: SizeDraft): void; control: FieldControlProps; label: string; onBlur?: () => void }) {
  return (
    <div className="input-with-unit">
      <input {...control} type="text" inputMode="decimal" autoComplete="off" value={value.amount} onChange={(e) => onChange({ ...value, amount: e.target.value })} onBlur={onBlur} />
      <select aria-label="Unit" title={`Unit of ${label.toLowerCase()}`} value={value.unit} onChange={(e) => onChange({ ...value, unit: e.target.value as SizeUnit })}>
        {Object.keys(SIZE_UNITS).map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </div>
  );
}
