// One input per recipe field, generated from the recipe schema (src/recipes): a choice is a menu,
// a number a number box, a data file a menu of what the import roots hold (a list of them: a
// multiple choice), anything else text. Labels in words with the CLI's flag beside them.
import { boundsText, type RecipeField } from '../../../../src/recipes';
import { formatBytes } from '../../api';

export interface DataFileOption {
  name: string;
  size: string;
}

/** `pruningFraction` → "Pruning fraction". */
export const labelOf = (name: string) => name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`).replace(/^\w/, (c) => c.toUpperCase());

export function FieldRow({
  id,
  label,
  flag,
  help,
  problem,
  children,
}: {
  id: string;
  label: string;
  flag?: string;
  help?: string;
  problem?: string | null;
  children: React.ReactNode;
}) {
  return (
    <div className="field-row">
      <label htmlFor={id}>
        {label}
        {flag && <code className="flag"> {flag}</code>}
      </label>
      <div className="field-control">
        {children}
        {help && (
          <p className="field-help" id={`${id}-help`}>
            {help}
          </p>
        )}
        {problem && (
          <p className="error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
      </div>
    </div>
  );
}

export function FieldInput({
  field,
  value,
  problem,
  dataFiles,
  inWords,
  onChange,
}: {
  field: RecipeField;
  value: string;
  problem: string | null;
  /** The import roots' files; null while they cannot be listed (no maintainer token yet). */
  dataFiles: DataFileOption[] | null;
  /** The schema's words with other fields named as the form names them (their flags). */
  inWords: (text: string) => string;
  onChange: (v: string) => void;
}) {
  const id = `recipe-${field.name}`;
  const help = inWords([field.description, boundsText(field)].filter(Boolean).join(' — '));
  const described = [`${id}-help`, problem ? `${id}-problem` : null].filter(Boolean).join(' ');
  const common = { id, 'aria-describedby': described, 'aria-invalid': Boolean(problem) };
  let input: React.ReactNode;
  if (field.path && dataFiles) {
    const many = field.kind === 'stringList';
    const chosen = value.split('\n').filter(Boolean);
    input = many ? (
      <select
        {...common}
        multiple
        size={Math.min(6, Math.max(2, dataFiles.length))}
        value={chosen}
        onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value).join('\n'))}
      >
        {dataFiles.map((f) => (
          <option key={f.name} value={f.name}>
            {f.name} ({formatBytes(f.size)})
          </option>
        ))}
      </select>
    ) : (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">— choose a file —</option>
        {dataFiles.map((f) => (
          <option key={f.name} value={f.name}>
            {f.name} ({formatBytes(f.size)})
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'choice') {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {field.default === undefined && <option value="">—</option>}
        {field.choices?.map((c) => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'number' || field.kind === 'integer') {
    input = <input {...common} inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} />;
  } else {
    const placeholder = field.kind === 'integerList' ? 'e.g. 3,4' : field.path ? 'a file under an import root, e.g. kjv/val.txt' : '';
    input = <input {...common} type="text" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <FieldRow id={id} label={`${labelOf(field.name)}${field.required ? ' *' : ''}`} flag={field.flag} help={help} problem={problem}>
      {input}
    </FieldRow>
  );
}
