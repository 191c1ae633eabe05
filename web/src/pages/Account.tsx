import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, call, errorMessage } from "../api/client";
import { tokenStore } from "../api/auth";
import { Alert, PageHeader } from "../components/ui";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "../lib/password";
import type { Units } from "../lib/units";
import { useSession } from "../state/session";

function ChangePassword({ email }: { email: string }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    const problem = next === current ? "The new password is the same as the current one." : passwordProblem(next, repeat);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const tokens = await call(api.POST("/api/v1/me/password", { body: { current_password: current, new_password: next } }));
      // Changing the password voids every refresh token issued before, this session's included.
      tokenStore.set({ access: tokens.access_token, refresh: tokens.refresh_token });
      setCurrent("");
      setNext("");
      setRepeat("");
      setDone(true);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-grid" onSubmit={submit} data-testid="password-form">
      <h2>Change password</h2>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="password-error">
          {error}
        </Alert>
      )}
      {done && (
        <Alert kind="success" onDismiss={() => setDone(false)} testId="password-success">
          Your password was changed. Other devices where you were signed in have to sign in again.
        </Alert>
      )}
      {/* Lets password managers tie the new password to the account. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <label className="field">
        <span>Current password</span>
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} data-testid="password-current" />
      </label>
      <label className="field">
        <span>New password</span>
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          value={next}
          onChange={(e) => setNext(e.target.value)}
          data-testid="password-new"
        />
        <span className="muted small">At least {MIN_PASSWORD_LENGTH} characters.</span>
      </label>
      <label className="field">
        <span>Repeat the new password</span>
        <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} data-testid="password-repeat" />
      </label>
      <button type="submit" className="button button-primary" disabled={busy || !current || !next} data-testid="password-submit">
        {busy ? "Saving…" : "Change password"}
      </button>
    </form>
  );
}

/** Display units, stored on the server for the user (every browser) and applied at once. */
function UnitsSetting() {
  const { units, saveUnits } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function choose(next: Units) {
    setBusy(true);
    setError(null);
    try {
      await saveUnits(next);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card">
      <h2>Units</h2>
      {error && <Alert onDismiss={() => setError(null)}>{error}</Alert>}
      <label className="field">
        <span>Lengths and speeds</span>
        <select value={units} disabled={busy} onChange={(e) => void choose(e.target.value as Units)} data-testid="account-units">
          <option value="metric">metric (cm, m, m/s)</option>
          <option value="imperial">imperial (inches, feet, mph)</option>
        </select>
        <span className="muted small">Used by the swing pages and their coaching cues. Angles and times are the same in both.</span>
      </label>
    </div>
  );
}

/** "/account": the signed-in user's own settings. */
export function AccountPage() {
  const { me, meError, reloadMe } = useSession();
  useEffect(() => {
    void reloadMe(); // roles and organisations may have changed since the session started
  }, [reloadMe]);
  return (
    <section data-testid="page-account">
      <PageHeader title="Account settings" />
      {meError && <Alert>{meError}</Alert>}
      <div className="card">
        <h2>Profile</h2>
        <dl className="details">
          <dt>Name</dt>
          <dd data-testid="account-name">{me?.name || "–"}</dd>
          <dt>Email</dt>
          <dd data-testid="account-email">{me?.email ?? "–"}</dd>
          <dt>Organisations</dt>
          <dd>
            {me && me.memberships.length > 0 ? (
              <ul className="plain-list">
                {me.memberships.map((m) => (
                  <li key={m.organisation.id}>
                    <Link to={`/o/${m.organisation.id}`}>{m.organisation.name}</Link> <span className="muted">· {m.role}</span>
                  </li>
                ))}
              </ul>
            ) : (
              "–"
            )}
          </dd>
        </dl>
      </div>
      <UnitsSetting />
      <ChangePassword email={me?.email ?? ""} />
    </section>
  );
}
