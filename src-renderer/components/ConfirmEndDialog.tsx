// "End task" confirmation. The action itself is the store's (terminate through changes.apply).
import { useEffect, useRef } from 'react';
import { useStore } from '../store';

export function ConfirmEndDialog() {
  const dialog = useStore((state) => state.dialog);
  const closeDialog = useStore((state) => state.closeDialog);
  const endTasks = useStore((state) => state.endTasks);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (dialog?.kind === 'confirmEnd') cancelRef.current?.focus();
  }, [dialog]);
  if (dialog?.kind !== 'confirmEnd') return null;
  const targets = dialog.targets;
  const names = targets.slice(0, 5).map((t) => `${t.name} (${t.pid})`).join(', ') + (targets.length > 5 ? `, and ${targets.length - 5} more` : '');
  return (
    <div className="modal-backdrop">
      <div className="modal confirm-dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-body"
        onKeyDown={(event) => event.key === 'Escape' && closeDialog()}>
        <h2 id="confirm-title">End {targets.length === 1 ? 'this process' : `${targets.length} processes`}?</h2>
        <p id="confirm-body">
          {names} will be asked to exit and forced after 3 seconds. Unsaved work in {targets.length === 1 ? 'it' : 'them'} is lost.
        </p>
        <div className="modal-actions">
          <button type="button" ref={cancelRef} onClick={closeDialog}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              closeDialog();
              void endTasks(targets);
            }}
          >
            End {targets.length === 1 ? 'task' : 'tasks'}
          </button>
        </div>
      </div>
    </div>
  );
}
