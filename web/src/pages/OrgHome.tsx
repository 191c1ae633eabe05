import { useState, type FormEvent } from "react";
import { Navigate } from "react-router-dom";
import { api, call, errorMessage } from "../api/client";
import { Alert, Spinner } from "../components/ui";
import { rememberedOrg, useSession } from "../state/session";

/** "/": go to the last organisation used (or the first one); offer to create one if there is none. */
export function OrgHome() {
  const { orgs, orgsError, reloadOrgs, logout } = useSession();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  if (orgsError) return <div className="center-page"><Alert>{orgsError}</Alert></div>;
  if (!orgs) return <div className="center-page"><Spinner /></div>;
  if (orgs.length > 0) {
    const saved = rememberedOrg();
    const target = orgs.find((o) => o.id === saved) ?? orgs[0];
    return <Navigate to={`/o/${target.id}`} replace />;
  }

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await call(api.POST("/api/v1/orgs", { body: { name: name.trim() } }));
      await reloadOrgs();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <div className="center-page">
      <form className="card narrow" onSubmit={create}>
        <h1>Welcome to Sideline</h1>
        <p>You are not a member of any organisation yet. Ask an owner to invite you, or create your own.</p>
        {error && <Alert>{error}</Alert>}
        <label className="field">
          <span>Organisation name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} data-testid="org-create-name" />
        </label>
        <div className="row">
          <button className="button button-primary" type="submit" disabled={!name.trim()} data-testid="org-create">
            Create organisation
          </button>
          <button className="button" type="button" onClick={logout}>
            Log out
          </button>
        </div>
      </form>
    </div>
  );
}
