// @vitest-environment happy-dom
// The context menu: keyboard focus moves into it, and goes back to where it was when it closes,
// unless the chosen item moved focus elsewhere (a dialog).
import { afterEach, describe, expect, it } from 'vitest';
import { useState } from 'react';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ContextMenu } from '../../../src-renderer/components/ContextMenu';

afterEach(cleanup);

/** A table and, once `open`, its menu; the one item either does nothing or opens a dialog. */
function Host({ open, opensDialog = false }: { open: boolean; opensDialog?: boolean }) {
  const [closed, setClosed] = useState(false);
  const [dialog, setDialog] = useState(false);
  const item = opensDialog ? { id: 'priority', label: 'Change priority…', run: () => setDialog(true) } : { id: 'copy', label: 'Copy command line', run: () => undefined };
  return (
    <div>
      <div role="grid" aria-label="Processes" tabIndex={0} />
      {open && !closed && <ContextMenu x={10} y={10} label="Process actions" items={[item]} onClose={() => setClosed(true)} />}
      {dialog && <input aria-label="Dialog field" ref={(element) => element?.focus()} />}
    </div>
  );
}

/** Focus the table, then open the menu (as Shift+F10 on the table does). */
function openFromTable(opensDialog = false): void {
  const { rerender } = render(<Host open={false} opensDialog={opensDialog} />);
  screen.getByRole('grid').focus();
  rerender(<Host open opensDialog={opensDialog} />);
}

describe('ContextMenu', () => {
  it('takes focus, and gives it back to the table when closed with Escape or by a choice', () => {
    openFromTable();
    expect(document.activeElement).toBe(screen.getByRole('menuitem', { name: 'Copy command line' }));
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('grid'));
    cleanup();

    openFromTable();
    fireEvent.click(screen.getByRole('menuitem', { name: 'Copy command line' }));
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('grid'));
  });

  it('leaves focus with the dialog a chosen item opened', () => {
    openFromTable(true);
    fireEvent.click(screen.getByRole('menuitem', { name: 'Change priority…' }));
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(screen.getByLabelText('Dialog field'));
  });
});
