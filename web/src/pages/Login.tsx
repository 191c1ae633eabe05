import { useEffect, useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { errorMessage } from "../api/client";
import { tokenStore } from "../api/auth";
import { Alert } from "../components/ui";
import { useSession } from "../state/session";

export function LoginPage() {
  const { loggedIn, login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const state = location.state as { from?: string; email?: string; notice?: string } | null;
  const from = state?.from;
  const [email, setEmail] = useState(state?.email ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => setNotice(tokenStore.takeLogoutReason() ?? state?.notice ?? null), []);

  if (loggedIn && !busy) return <Navigate to={from && from !== "/login" ? from : "/"} replace />;

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      navigate(from && from !== "/login" ? from : "/", { replace: true });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <form className="card login-card" onSubmit={onSubmit} noValidate={false}>
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <h1>Sideline</h1>
            <p className="muted">Sports performance analytics</p>
          </div>
        </div>
        {notice && !error && <Alert kind="info">{notice}</Alert>}
        {error && <Alert testId="login-error">{error}</Alert>}
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-testid="login-email"
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
        </label>
        <button type="submit" className="button button-primary button-block" disabled={busy} data-testid="login-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="form-footer">
          <Link to="/forgot-password" state={{ email: email.trim() }} data-testid="forgot-password-link">
            Forgot password?
          </Link>
        </p>
      </form>
    </div>
  );
}
