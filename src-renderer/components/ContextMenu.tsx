// A small right-click menu: positioned at the pointer, closes on Escape, outside click or choice,
// and gives focus back to where it was.
import { useEffect, useRef } from 'react';

export interface MenuItem {
  id: string;
  label: string;
  disabled?: boolean;
  /** Shown as the item's tooltip (e.g. why it is disabled). */
  hint?: string;
  danger?: boolean;
  separatorBefore?: boolean;
  run(): void;
}

export interface ContextMenuProps {
  x: number;
  y: number;
  label: string;
  items: readonly MenuItem[];
  onClose(): void;
}

export function ContextMenu({ x, y, label, items, onClose }: ContextMenuProps) {
  const ref = useRef<HTMLDivElement>(null);
  // Focus goes back where it was (the table, for a menu opened with Shift+F10) when the menu closes,
  // unless something else took it meanwhile (a dialog the chosen item opened).
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    return () => {
      const active = document.activeElement;
      if (previous?.isConnected && (active === null || active === document.body)) previous.focus();
    };
  }, []);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]:not([disabled])')?.focus();
    const onDown = (event: MouseEvent): void => {
      if (ref.current && !ref.current.contains(event.target as Node)) onClose();
    };
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('mousedown', onDown);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('mousedown', onDown);
      window.removeEventListener('keydown', onKey);
    };
  }, [onClose]);
  // Keep the menu inside the window.
  const left = Math.max(4, Math.min(x, (typeof window !== 'undefined' ? window.innerWidth : 1200) - 250));
  const top = Math.max(4, Math.min(y, (typeof window !== 'undefined' ? window.innerHeight : 800) - items.length * 28 - 16));
  return (
    <div
      className="context-menu"
      role="menu"
      aria-label={label}
      ref={ref}
      style={{ left, top }}
      onKeyDown={(event) => {
        if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
        event.preventDefault();
        const all = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([disabled])') ?? [])];
        const index = all.indexOf(document.activeElement as HTMLElement);
        all[(index + (event.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length]?.focus();
      }}
    >
      {items.map((item) => (
        <div key={item.id}>
          {item.separatorBefore && <div className="menu-separator" role="separator" />}
          <button
            type="button"
            role="menuitem"
            className={item.danger ? 'danger' : undefined}
            disabled={item.disabled}
            title={item.hint}
            onClick={() => {
              onClose();
              item.run();
            }}
          >
            {item.label}
          </button>
        </div>
      ))}
    </div>
  );
}
