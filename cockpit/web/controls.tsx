// Small controls every view uses: copyable values, a confirmation dialog, error text, a ticking clock.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, SessionExpiredError } from './api';

/** A message for the user from anything a call threw (API refusals keep the API's own words). */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof SessionExpiredError) return error.message;
  return 'Something went wrong. Try again.';
}

/** Re-renders every `intervalMs` and returns the current time. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const reset = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(reset.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
    // A second click restarts the two seconds instead of being cut short by the first one's timer.
    clearTimeout(reset.current);
    reset.current = setTimeout(() => setState('idle'), 2000);
  };
  return (
    <button type="button" class="copy" onClick={copy} aria-label={`Copy ${label}`}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
    </button>
  );
}

/** A labelled value with a copy button; `testId` marks the value itself. */
export function CopyableValue({ label, value, testId, multiline }: { label: string; value: string; testId?: string; multiline?: boolean }) {
  return (
    <div class="copyable">
      <dt>{label}</dt>
      <dd>
        {/* A long value scrolls inside its box: focusable, so a keyboard can scroll it too. */}
        {multiline ? (
          <pre data-testid={testId} tabIndex={0}>
            {value}
          </pre>
        ) : (
          <code data-testid={testId}>{value}</code>
        )}
        <CopyButton value={value} label={label} />
      </dd>
    </div>
  );
}

export function ErrorText({ id, testId, message }: { id?: string; testId?: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} class="error" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}

export interface ConfirmRequest {
  title: string;
  body: ComponentChildren;
  action: string;
  run: () => Promise<void>;
}

interface ConfirmDialogProps {
  request: ConfirmRequest | null;
  onClose: () => void;
  /** Where focus goes when the dialog closes and the control that opened it is gone (e.g. a revoked row's button). */
  fallbackFocus?: () => void;
}

/** A modal confirmation (native <dialog>: focus is trapped, Escape cancels); Cancel has the focus first. */
export function ConfirmDialog({ request, onClose, fallbackFocus }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) {
      setError(null);
      element.showModal();
    }
    if (!request && element.open) {
      element.close();
      if (!element.ownerDocument.activeElement || element.ownerDocument.activeElement === element.ownerDocument.body) fallbackFocus?.();
    }
  }, [request, fallbackFocus]);

  const confirm = async () => {
    if (!request || busy) return;
    setBusy(true);
    setError(null);
    try {
      await request.run();
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      // Escape must not look like "cancelled" while the action is already under way. Chromium honours
      // preventDefault on cancel only once per user activation, so a dialog closed anyway while busy reopens.
      onCancel={(event) => busy && event.preventDefault()}
      onClose={() => (busy ? dialog.current?.showModal() : onClose())}
    >
      {request && (
        <>
          <h2 id="confirm-title">{request.title}</h2>
          <div id="confirm-body">{request.body}</div>
          <ErrorText message={error} testId="confirm-error" />
          <div class="actions">
            <button type="button" autofocus onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="button" class="danger" data-testid="confirm" onClick={confirm} aria-disabled={busy}>
              {busy ? 'Working…' : request.action}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
