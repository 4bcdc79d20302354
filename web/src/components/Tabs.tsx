// Tabs after the WAI-ARIA Authoring Practices' tabs pattern (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/):
// a tablist of tabs, one tabpanel; the selected tab is the only one in the Tab order (roving
// tabindex), Left/Right move between tabs and select them (automatic activation), Home/End go to the
// first/last. The selection lives in the URL (the caller navigates), so reload, back and forward keep it.
import { type KeyboardEvent, type ReactNode, useRef } from 'react';

export interface TabSpec {
  /** The URL's value, e.g. `files`. */
  id: string;
  label: ReactNode;
}

export function Tabs({
  label,
  tabs,
  selected,
  onSelect,
  children,
}: {
  label: string;
  tabs: readonly TabSpec[];
  selected: string;
  onSelect: (id: string) => void;
  children: ReactNode;
}) {
  const list = useRef<HTMLDivElement>(null);
  const go = (index: number) => {
    const t = tabs[(index + tabs.length) % tabs.length]!;
    onSelect(t.id);
    list.current?.querySelector<HTMLButtonElement>(`#tab-${t.id}`)?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.id === selected);
    const moves: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    go(to);
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label} ref={list} onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={t.id === selected}
            aria-controls={`panel-${t.id}`}
            tabIndex={t.id === selected ? 0 : -1}
            className={t.id === selected ? 'tab active' : 'tab'}
            onClick={() => onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${selected}`} aria-labelledby={`tab-${selected}`} className="tabpanel">
        {children}
      </div>
    </>
  );
}
