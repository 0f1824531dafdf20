// First run: one screen that explains Off / Advise / Auto and lets the person choose. A fresh install
// runs Auto (reversible restraints of background work only); choosing here sets the mode through the
// store and the screen does not come back (the choice is remembered in this UI's localStorage).
import { useState } from 'react';
import type { Mode } from '../../src-shared/engine';
import { firstRunSeen, markFirstRunSeen } from '../store/engine';

const CHOICES: { id: Mode; title: string; text: string }[] = [
  { id: 'auto', title: 'Use Auto (recommended)', text: 'Allot lowers background work (priority, I/O priority, CPU weight) step by step when it slows down what you are using, measures whether it helped, and puts everything back when it is no longer needed or when Allot stops. Harsher actions (CPU caps, memory limits, suspending) happen only when a rule asks for them.' },
  { id: 'advise', title: 'Use Advise', text: 'Allot shows what it would do, with its reasons; nothing changes until you click Apply.' },
  { id: 'off', title: 'Use Off', text: 'Allot only watches, forecasts and warns; it decides nothing.' },
];

export function EngineFirstRun({ mode, onChoose }: { mode: Mode | undefined; onChoose(mode: Mode): void }) {
  const [open, setOpen] = useState(() => !firstRunSeen());
  if (!open) return null;
  const choose = (m: Mode) => {
    markFirstRunSeen();
    setOpen(false);
    onChoose(m);
  };
  return (
    <section className="first-run panel" role="dialog" aria-label="How should Allot act?">
      <h2>How should Allot act?</h2>
      <p>Allot keeps the program you are using responsive by restraining background work. Choose how much it may do; you can change this at any time here.</p>
      <ul className="first-run-choices">
        {CHOICES.map((c) => (
          <li key={c.id}>
            <button type="button" aria-pressed={mode === c.id} onClick={() => choose(c.id)}>
              {c.title}
            </button>
            <span>{c.text}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
