/**
 * Asks before a host's action that cannot be taken back (ending the meeting, calling every
 * province back, lowering every hand). A modal <dialog> (the page behind is inert, Tab stays
 * inside, Escape cancels) announced as an alert dialog, with "Cancel" focused: Enter or Space
 * right after the click changes nothing. Focus goes back to where it was when the dialog closes.
 */
import { useEffect, useId, useRef } from 'react';
import { useT } from '../i18n/useT';

export function ConfirmDialog({ id, title, text, confirm, onConfirm, onCancel }: {
  /** data-confirm on the dialog, for tests and styles. */
  id: string;
  title: string;
  text: string;
  /** The confirming button's label: the action itself, never just "OK". */
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const ids = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    cancel.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="confirm"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={`${ids}-t`}
      aria-describedby={`${ids}-d`}
      data-confirm={id}
      // Escape: the browser's "cancel"; the parent decides (it unmounts the dialog).
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={`${ids}-t`}>{title}</h2>
      <p id={`${ids}-d`}>{text}</p>
      <div className="row">
        <button ref={cancel} data-action="cancel" onClick={onCancel}>
          {t('cancel')}
        </button>
        <button data-action="confirm" className="danger" onClick={onConfirm}>
          {confirm}
        </button>
      </div>
    </dialog>
  );
}

