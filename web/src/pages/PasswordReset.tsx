import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { ApiError, api, call, errorMessage } from "../api/client";
import { tokenStore } from "../api/auth";
import { Alert } from "../components/ui";
import { PublicCard } from "../components/PublicCard";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "../lib/password";

/** "/forgot-password": asks for a reset link. The answer never says whether the account exists. */
export function ForgotPasswordPage() {
  const location = useLocation();
  const [email, setEmail] = useState((location.state as { email?: string } | null)?.email ?? "");
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(api.POST("/api/v1/auth/password-reset", { body: { email: email.trim() } }));
      setSentTo(email.trim());
    } catch (err) {
      setError(errorMessage(err)); // e.g. too many attempts, or the server cannot be reached
    } finally {
      setBusy(false);
    }
  }

  return (
    <PublicCard title="Reset password" subtitle="We email you a link to choose a new one" testId="page-forgot-password">
      {sentTo ? (
        <>
          <Alert kind="success" testId="reset-sent">
            If an account exists for {sentTo}, we sent a link to reset its password. Check your inbox (and the spam
            folder); the link works once and expires soon.
          </Alert>
          <p className="form-footer">
            <button type="button" className="link-button" onClick={() => setSentTo(null)}>
              Send another link
            </button>
            {" · "}
            <Link to="/login" state={{ email: sentTo }}>
              Back to sign in
            </Link>
          </p>
        </>
      ) : (
        <form onSubmit={onSubmit}>
          {error && <Alert testId="reset-error">{error}</Alert>}
          <label className="field">
            <span>Email</span>
            <input
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              data-testid="reset-email"
            />
          </label>
          <button type="submit" className="button button-primary button-block" disabled={busy || !email.trim()} data-testid="reset-submit">
            {busy ? "Sending…" : "Send reset link"}
          </button>
          <p className="form-footer">
            <Link to="/login" state={{ email: email.trim() }}>
              Back to sign in
            </Link>
          </p>
        </form>
      )}
    </PublicCard>
  );
}

/** "/reset-password/:token": the link from the mail. Success logs in with the new password. */
export function ResetPasswordPage() {
  const { token = "" } = useParams();
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deadLink, setDeadLink] = useState(false);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problem = passwordProblem(password, repeat);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const tokens = await call(
        api.POST("/api/v1/auth/password-reset/confirm", { body: { token, new_password: password } }),
      );
      if (tokens?.access_token && tokens.refresh_token) {
        tokenStore.set({ access: tokens.access_token, refresh: tokens.refresh_token });
        navigate("/", { replace: true });
      } else {
        navigate("/login", { replace: true, state: { notice: "Your password was changed. Sign in with the new one." } });
      }
    } catch (err) {
      setError(errorMessage(err));
      // Expired, used (410) or mangled (400) links cannot work however often they are tried.
      setDeadLink(err instanceof ApiError && (err.status === 410 || (err.status === 400 && err.code === "invalid_input")));
      setBusy(false);
    }
  }

  return (
    <PublicCard title="Choose a new password" subtitle="For your Sideline account" testId="page-reset-password">
      <form onSubmit={onSubmit}>
        {error && <Alert testId="reset-error">{error}</Alert>}
        {deadLink ? (
          <p>
            <Link to="/forgot-password" data-testid="reset-request-again">
              Request a new link
            </Link>
          </p>
        ) : (
          <>
            <label className="field">
              <span>New password</span>
              <input
                type="password"
                autoComplete="new-password"
                required
                autoFocus
                minLength={MIN_PASSWORD_LENGTH}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                data-testid="reset-new-password"
              />
              <span className="muted small">At least {MIN_PASSWORD_LENGTH} characters.</span>
            </label>
            <label className="field">
              <span>Repeat the new password</span>
              <input
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                onChange={(e) => setRepeat(e.target.value)}
                data-testid="reset-repeat-password"
              />
            </label>
            <button type="submit" className="button button-primary button-block" disabled={busy} data-testid="reset-confirm">
              {busy ? "Saving…" : "Set new password"}
            </button>
          </>
        )}
        <p className="form-footer">
          <Link to="/login">Back to sign in</Link>
        </p>
      </form>
    </PublicCard>
  );
}
