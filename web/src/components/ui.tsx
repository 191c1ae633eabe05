import type { ReactNode } from "react";
import { clampPercent } from "../lib/format";

export function Alert({ kind = "error", children, onDismiss, testId }: {
  kind?: "error" | "info" | "success" | "warning";
  children: ReactNode;
  onDismiss?: () => void;
  testId?: string;
}) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"} data-testid={testId ?? `alert-${kind}`}>
      <div className="alert-body">{children}</div>
      {onDismiss && (
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

export function ProgressBar({ value, label, testId, tone }: {
  value: number;
  label: string;
  testId?: string;
  tone?: "ok" | "error" | "muted";
}) {
  const pct = clampPercent(value);
  const rounded = Math.round(pct);
  return (
    <div
      className={`progress${tone ? ` progress-${tone}` : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={rounded}
      data-testid={testId}
      data-value={rounded}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Badge({ tone, children, testId }: { tone: string; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

export function Pager({ total, limit, offset, onChange }: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
}) {
  if (total <= limit && offset === 0) return null;
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">
        {from}–{to} of {total}
      </span>
      <button type="button" className="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" className="button" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/** "Are you sure?" in place of a row's action button: a short question, a danger button and Keep. */
export function InlineConfirm({ question, confirmLabel, busyLabel, busy, disabled = busy, onConfirm, onCancel, confirmTestId, cancelTestId }: {
  question: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  /** The confirmed action is running: the button shows busyLabel. */
  busy: boolean;
  /** Defaults to busy; true also while something else on the row is running. */
  disabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  confirmTestId?: string;
  cancelTestId?: string;
}) {
  return (
    <span className="confirm">
      <span className="small">{question}</span>
      <button type="button" className="button button-small button-danger" disabled={disabled} onClick={onConfirm} data-testid={confirmTestId}>
        {busy ? busyLabel : confirmLabel}
      </button>
      <button type="button" className="button button-small" onClick={onCancel} data-testid={cancelTestId}>
        Keep
      </button>
    </span>
  );
}
