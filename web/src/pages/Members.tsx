import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { api, call, errorMessage } from "../api/client";
import type { Invitation, Member, Role } from "../api/types";
import { Alert, Badge, InlineConfirm, PageHeader, Pager, Spinner } from "../components/ui";
import { useOrg } from "../components/Shell";
import { formatDate, formatRelative } from "../lib/format";
import { isOwner, ROLE_HELP, ROLES } from "../lib/roles";
import { usePagedList } from "../lib/usePagedList";
import { useSession } from "../state/session";
import { ExportSection } from "./Export";

const PAGE_SIZE = 100;

function RoleSelect({ value, onChange, disabled, testId, label }: {
  value: Role;
  onChange: (role: Role) => void;
  disabled?: boolean;
  testId: string;
  label: string;
}) {
  return (
    <select value={value} disabled={disabled} aria-label={label} data-testid={testId} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

function MemberRow({ member, orgId, orgName, canManage, isMe, onChanged, onRemoved, onError }: {
  member: Member;
  orgId: string;
  orgName: string;
  canManage: boolean;
  isMe: boolean;
  onChanged: (member: Member) => void;
  onRemoved: (member: Member) => void;
  onError: (message: string) => void;
}) {
  const [busy, setBusy] = useState<"role" | "remove" | null>(null);
  const [confirming, setConfirming] = useState(false);
  const path = { org_id: orgId, user_id: member.user_id };

  async function changeRole(role: Role) {
    if (role === member.role) return;
    setBusy("role");
    try {
      onChanged(await call(api.PATCH("/api/v1/orgs/{org_id}/members/{user_id}", { params: { path }, body: { role } })));
    } catch (err) {
      onError(errorMessage(err)); // e.g. 409: the last owner
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    setBusy("remove");
    try {
      onRemoved(await call(api.DELETE("/api/v1/orgs/{org_id}/members/{user_id}", { params: { path } })));
    } catch (err) {
      onError(errorMessage(err));
      setBusy(null);
      setConfirming(false);
    }
  }

  return (
    <tr data-testid="member-row" data-user-id={member.user_id} data-role={member.role} data-email={member.email}>
      <td data-label="Name" className="break">
        {member.name || "–"} {isMe && <span className="muted small">(you)</span>}
      </td>
      <td data-label="Email" className="break">
        {member.email}
      </td>
      <td data-label="Role">
        {canManage ? (
          <RoleSelect
            value={member.role}
            disabled={busy !== null}
            onChange={(role) => void changeRole(role)}
            testId="member-role"
            label={`Role of ${member.name || member.email}`}
          />
        ) : (
          <Badge tone={member.role === "owner" ? "info" : "neutral"} testId="member-role">
            {member.role}
          </Badge>
        )}
      </td>
      <td data-label="Joined" title={formatDate(member.joined_at)}>
        {formatRelative(member.joined_at)}
      </td>
      <td data-label="" className="actions">
        {canManage &&
          (confirming ? (
            <InlineConfirm
              question={isMe ? `Leave ${orgName}? You lose access at once.` : `Remove ${member.name || member.email} from ${orgName}? They lose access at once.`}
              confirmLabel={isMe ? "Leave" : "Remove"}
              busyLabel="Removing…"
              busy={busy === "remove"}
              disabled={busy !== null}
              onConfirm={() => void remove()}
              onCancel={() => setConfirming(false)}
              confirmTestId="member-remove-confirm"
              cancelTestId="member-remove-cancel"
            />
          ) : (
            <button type="button" className="button button-small button-danger-outline" disabled={busy !== null} onClick={() => setConfirming(true)} data-testid="member-remove">
              {isMe ? "Leave" : "Remove"}
            </button>
          ))}
      </td>
    </tr>
  );
}

function Invitations({ orgId }: { orgId: string }) {
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [sending, setSending] = useState(false);
  const [withdrawing, setWithdrawing] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await call(
        api.GET("/api/v1/orgs/{org_id}/invitations", {
          params: { path: { org_id: orgId }, query: { status: "pending", limit: 200, offset: 0 } },
        }),
      );
      setInvitations(page.items);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [orgId]);

  useEffect(() => {
    void load();
  }, [load]);

  async function invite(e: FormEvent) {
    e.preventDefault();
    setSending(true);
    setError(null);
    setSent(null);
    try {
      const created = await call(
        api.POST("/api/v1/orgs/{org_id}/invitations", { params: { path: { org_id: orgId } }, body: { email: email.trim(), role } }),
      );
      setSent(created.email);
      setEmail("");
      void load(); // inviting again withdraws the earlier invitation of the same email
    } catch (err) {
      setError(errorMessage(err)); // e.g. 409: already a member
    } finally {
      setSending(false);
    }
  }

  async function withdraw(invitation: Invitation) {
    setWithdrawing((s) => new Set(s).add(invitation.id));
    setError(null);
    try {
      await call(
        api.DELETE("/api/v1/orgs/{org_id}/invitations/{invitation_id}", {
          params: { path: { org_id: orgId, invitation_id: invitation.id } },
        }),
      );
      setInvitations((list) => list?.filter((i) => i.id !== invitation.id) ?? null);
    } catch (err) {
      setError(errorMessage(err));
      void load();
    } finally {
      setWithdrawing((s) => {
        const next = new Set(s);
        next.delete(invitation.id);
        return next;
      });
    }
  }

  return (
    <>
      <form className="card form-grid" onSubmit={invite} data-testid="invitation-form">
        <h2>Invite someone</h2>
        {error && (
          <Alert onDismiss={() => setError(null)} testId="invitations-error">
            {error}
          </Alert>
        )}
        {sent && (
          <Alert kind="success" onDismiss={() => setSent(null)} testId="invite-sent">
            Invitation sent to {sent}.
          </Alert>
        )}
        <div className="field-row">
          <label className="field grow">
            <span>Email</span>
            <input
              type="email"
              required
              maxLength={320}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              placeholder="name@example.org"
              data-testid="invite-email"
            />
          </label>
          <label className="field">
            <span>Role</span>
            <RoleSelect value={role} onChange={setRole} testId="invite-role" label="Role of the invited person" />
          </label>
        </div>
        <p className="muted small">
          {role}: {ROLE_HELP[role]}. The link in the mail works once and expires after a few days.
        </p>
        <button type="submit" className="button button-primary" disabled={sending || !email.trim()} data-testid="invite-submit">
          {sending ? "Sending…" : "Send invitation"}
        </button>
      </form>

      <h2>Pending invitations</h2>
      {invitations === null ? (
        error ? null : <Spinner />
      ) : invitations.length === 0 ? (
        <p className="muted" data-testid="invitations-empty">
          No pending invitations.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="invitations-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Sent</th>
                <th>Expires</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr key={inv.id} data-testid="invitation-row" data-invitation-id={inv.id} data-email={inv.email}>
                  <td data-label="Email" className="break">
                    {inv.email}
                  </td>
                  <td data-label="Role">{inv.role}</td>
                  <td data-label="Sent" title={formatDate(inv.created_at)}>
                    {formatRelative(inv.created_at)}
                  </td>
                  <td data-label="Expires">{formatDate(inv.expires_at)}</td>
                  <td data-label="" className="actions">
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      disabled={withdrawing.has(inv.id)}
                      onClick={() => void withdraw(inv)}
                      data-testid="invitation-withdraw"
                    >
                      {withdrawing.has(inv.id) ? "Withdrawing…" : "Withdraw"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function MembersPage() {
  const { orgId, org } = useOrg();
  const { me, reloadOrgs } = useSession();
  const navigate = useNavigate();
  const owner = isOwner(org?.role);
  const {
    items: members,
    setItems: setMembers,
    total,
    setTotal,
    offset,
    setOffset,
    error,
    setError,
  } = usePagedList(
    (limit, offset) =>
      call(api.GET("/api/v1/orgs/{org_id}/members", { params: { path: { org_id: orgId }, query: { limit, offset } } })),
    [orgId],
    { pageSize: PAGE_SIZE },
  );

  function changed(member: Member) {
    setError(null);
    setMembers((list) => list?.map((m) => (m.user_id === member.user_id ? member : m)) ?? null);
    if (member.user_id === me?.id) void reloadOrgs(); // one's own role: what this page offers changes
  }

  function removed(member: Member) {
    setError(null);
    if (member.user_id === me?.id) {
      void reloadOrgs().then(() => navigate("/", { replace: true }));
      return;
    }
    setMembers((list) => list?.filter((m) => m.user_id !== member.user_id) ?? null);
    setTotal((t) => t - 1);
  }

  return (
    <section data-testid="page-members">
      <PageHeader title="Members" />
      <p className="muted">
        {owner
          ? "Change roles, remove members and invite new ones. An organisation always keeps at least one owner."
          : "The people in this organisation. Only owners can change roles or invite people."}
      </p>
      {error && (
        <Alert onDismiss={() => setError(null)} testId="members-error">
          {error}
        </Alert>
      )}
      {members === null ? (
        error ? null : <Spinner />
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="members-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Role</th>
                <th>Joined</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <MemberRow
                  key={m.user_id}
                  member={m}
                  orgId={orgId}
                  orgName={org?.name ?? "this organisation"}
                  canManage={owner}
                  isMe={m.user_id === me?.id}
                  onChanged={changed}
                  onRemoved={removed}
                  onError={setError}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager total={total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
      {owner && (
        <>
          <Invitations orgId={orgId} />
          <ExportSection orgId={orgId} />
        </>
      )}
    </section>
  );
}
