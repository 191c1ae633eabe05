import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { ApiError, api, call, errorMessage } from "../api/client";
import { tokenStore } from "../api/auth";
import { Alert } from "../components/ui";
import { PublicCard } from "../components/PublicCard";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "../lib/password";
import { rememberOrg, useSession } from "../state/session";

interface Failure {
  message: string;
  status: number;
}

/**
 * "/invite/:token": the link from an invitation mail. Logged in, the user joins with their account;
 * otherwise they create one (name and password) or log in first and come back here.
 */
export function InvitePage() {
  const { token = "" } = useParams();
  const { loggedIn, me, reloadOrgs, logout } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [offer, setOffer] = useState<{ organisation_name: string; role: string; email: string } | null>(null);

  // Say whom the link joins before anyone accepts; a dead link shows its reason at once.
  useEffect(() => {
    let live = true;
    call(api.POST("/api/v1/invitations/preview", { body: { token } }))
      .then((found) => live && setOffer(found))
      .catch((err) => live && setFailure({ message: errorMessage(err), status: err instanceof ApiError ? err.status : 0 }));
    return () => {
      live = false;
    };
  }, [token]);

  async function accept(e?: FormEvent) {
    e?.preventDefault();
    setFailure(null);
    if (!loggedIn) {
      const problem = passwordProblem(password);
      if (problem) {
        setFailure({ message: problem, status: 0 });
        return;
      }
    }
    setBusy(true);
    try {
      const body = loggedIn ? { token } : { token, name: name.trim() || null, password };
      const joined = await call(api.POST("/api/v1/invitations/accept", { body }));
      tokenStore.set({ access: joined.access_token, refresh: joined.refresh_token });
      rememberOrg(joined.organisation_id);
      if (loggedIn) await reloadOrgs(); // a new account loads its organisations when the session starts
      navigate(`/o/${joined.organisation_id}`, { replace: true });
    } catch (err) {
      setFailure({ message: errorMessage(err), status: err instanceof ApiError ? err.status : 0 });
      setBusy(false);
    }
  }

  const here = location.pathname;
  const loginLink = (text: string, testId: string) => (
    <Link to="/login" state={{ from: here }} data-testid={testId}>
      {text}
    </Link>
  );
  // 410: accepted, withdrawn or expired; no retry can help.
  const dead = failure?.status === 410;

  return (
    <PublicCard
      title={offer ? `Join ${offer.organisation_name}` : "Join Sideline"}
      subtitle={offer ? `You have been invited as ${offer.role} (${offer.email})` : "You have been invited to an organisation"}
      testId="page-invite"
    >
      {failure && (
        <Alert testId="invite-error">
          {failure.message}
          {failure.status === 409 && !loggedIn && <> {loginLink("Log in", "invite-login")}</>}
          {failure.status === 409 && loggedIn && (
            <>
              {" "}
              <Link to="/">Go to your organisations</Link>
            </>
          )}
        </Alert>
      )}
      {dead ? (
        <p className="muted">Ask the person who invited you to send a new invitation.</p>
      ) : loggedIn ? (
        <div data-testid="invite-logged-in">
          <p>
            You are signed in as <strong>{me ? me.name || me.email : "…"}</strong>
            {me?.name && <span className="muted"> ({me.email})</span>}. Accept the invitation to join the organisation with
            this account.
          </p>
          <button type="button" className="button button-primary button-block" disabled={busy} onClick={() => void accept()} data-testid="invite-accept">
            {busy ? "Joining…" : offer ? `Join ${offer.organisation_name}` : "Join the organisation"}
          </button>
          <p className="form-footer">
            Not you?{" "}
            <button type="button" className="link-button" onClick={logout} data-testid="invite-logout">
              Log out
            </button>{" "}
            to create an account or sign in as someone else.
          </p>
        </div>
      ) : (
        <form onSubmit={accept} data-testid="invite-form">
          <p>Create your account to accept the invitation. Your email address is the one the invitation was sent to.</p>
          <label className="field">
            <span>Your name</span>
            <input
              autoComplete="name"
              autoFocus
              maxLength={200}
              value={name}
              onChange={(e) => setName(e.target.value)}
              data-testid="invite-name"
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD_LENGTH}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              data-testid="invite-password"
            />
            <span className="muted small">At least {MIN_PASSWORD_LENGTH} characters.</span>
          </label>
          <button type="submit" className="button button-primary button-block" disabled={busy} data-testid="invite-accept">
            {busy ? "Creating your account…" : "Create account and join"}
          </button>
          <p className="form-footer">{loginLink("I already have an account", "invite-have-account")}</p>
        </form>
      )}
    </PublicCard>
  );
}
