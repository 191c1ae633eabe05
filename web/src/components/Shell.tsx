import { useEffect, useRef, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate, useParams } from "react-router-dom";
import { rememberedOrg, rememberOrg, useLiveStatus, useSession } from "../state/session";
import { useTheme } from "../lib/theme";
import { Alert, Spinner } from "./ui";
import { Icon, type IconName } from "./Icon";
import type { Organisation } from "../api/types";

interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  testId: string;
  end?: boolean;
}

const NAV: { heading?: string; items: NavItem[] }[] = [
  { items: [{ to: "", label: "Dashboard", icon: "dashboard", testId: "nav-home", end: true }] },
  {
    heading: "Analysis",
    items: [
      { to: "football", label: "Football", icon: "football", testId: "nav-football" },
      { to: "video", label: "Video", icon: "video", testId: "nav-video" },
      { to: "swing", label: "Swing", icon: "swing", testId: "nav-swing" },
      { to: "motorsport", label: "Motorsport", icon: "motorsport", testId: "nav-motorsport" },
    ],
  },
  {
    heading: "Workspace",
    items: [
      { to: "athletes", label: "Athletes", icon: "athletes", testId: "nav-athletes" },
      { to: "jobs", label: "Jobs", icon: "jobs", testId: "nav-jobs" },
      { to: "uploads", label: "Uploads", icon: "uploads", testId: "nav-uploads" },
    ],
  },
  {
    heading: "Organisation",
    items: [
      { to: "members", label: "Members", icon: "members", testId: "nav-members" },
      { to: "api-keys", label: "API keys", icon: "key", testId: "nav-api-keys" },
    ],
  },
];

/** The organisation in the URL, and the user's membership of it (once the list has loaded). */
export function useOrg(): { orgId: string; org: Organisation | null } {
  const { orgId = "" } = useParams();
  const { orgs } = useSession();
  return { orgId, org: orgs?.find((o) => o.id === orgId) ?? null };
}

function OrgSwitcher({ orgId, orgs }: { orgId: string; orgs: Organisation[] | null }) {
  const navigate = useNavigate();
  const location = useLocation();
  const known = orgs?.some((o) => o.id === orgId);
  return (
    <label className="org-switcher">
      <span className="sr-only">Organisation</span>
      <select
        data-testid="org-switcher"
        value={orgId}
        disabled={!orgs}
        onChange={(e) => {
          const rest = location.pathname.split("/").slice(3).join("/");
          rememberOrg(e.target.value);
          navigate(`/o/${e.target.value}${rest ? `/${rest}` : ""}`);
        }}
      >
        {!known && <option value={orgId}>{orgs ? "Unknown organisation" : "Loading…"}</option>}
        {orgs?.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function UserMenu({ role }: { role: string | null }) {
  const { me, logout } = useSession();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  const name = me?.name || me?.email || "Account";
  const initials = name
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((s) => s[0]!.toUpperCase())
    .join("");
  return (
    <div className="user-menu" ref={ref}>
      <button
        type="button"
        className="avatar-button"
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="user-menu"
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">
          {initials || "?"}
        </span>
        <span className="user-name">{name}</span>
      </button>
      {open && (
        <div className="menu" role="menu">
          <div className="menu-info">
            <strong>{me?.name}</strong>
            <span className="muted">{me?.email}</span>
            {role && <span className="muted">Role: {role}</span>}
          </div>
          <Link to="/account" role="menuitem" className="menu-item" data-testid="account-link" onClick={() => setOpen(false)}>
            Account settings
          </Link>
          <button type="button" role="menuitem" className="menu-item" data-testid="logout" onClick={logout}>
            Log out
          </button>
        </div>
      )}
    </div>
  );
}

/** The organisation to show around pages that belong to none (the last one used, else the first). */
function fallbackOrg(orgs: Organisation[] | null): Organisation | null {
  const saved = rememberedOrg();
  return orgs?.find((o) => o.id === saved) ?? orgs?.[0] ?? null;
}

/** The app's frame. `personal`: for pages outside any organisation (e.g. /account). */
export function Shell({ personal = false }: { personal?: boolean }) {
  const inUrl = useOrg();
  const { orgs, orgsError, reloadOrgs } = useSession();
  const org = personal ? fallbackOrg(orgs) : inUrl.org;
  const orgId = personal ? (org?.id ?? "") : inUrl.orgId;
  const [theme, toggleTheme] = useTheme();
  const [navOpen, setNavOpen] = useState(false);
  const location = useLocation();
  const live = useLiveStatus();

  useEffect(() => setNavOpen(false), [location.pathname]);
  useEffect(() => {
    if (org && !personal) rememberOrg(org.id);
  }, [org, personal]);

  const notMember = !personal && orgs !== null && !org;
  return (
    <div className={`shell${navOpen ? " nav-open" : ""}`}>
      <header className="topbar">
        <button
          type="button"
          className="icon-button nav-toggle"
          aria-label={navOpen ? "Close menu" : "Open menu"}
          aria-expanded={navOpen}
          aria-controls="sidenav"
          data-testid="nav-toggle"
          onClick={() => setNavOpen((o) => !o)}
        >
          <Icon name="menu" size={20} />
        </button>
        <Link to={orgId ? `/o/${orgId}` : "/"} className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Sideline</span>
        </Link>
        {(orgId || !personal) && <OrgSwitcher orgId={orgId} orgs={orgs} />}
        <div className="topbar-spacer" />
        <span className={`live-dot live-${live}`} hidden={live === "idle"} title={`Live updates: ${live}`} data-testid="live-status" data-status={live}>
          <span className="sr-only">Live updates: {live}</span>
        </span>
        <button
          type="button"
          className="icon-button"
          data-testid="theme-toggle"
          data-theme-value={theme}
          aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
          title={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
          onClick={toggleTheme}
        >
          <Icon name={theme === "dark" ? "sun" : "moon"} />
        </button>
        <UserMenu role={org?.role ?? null} />
      </header>
      <nav id="sidenav" className="sidenav" aria-label="Main">
        {orgId && NAV.map((group, i) => (
          <div className="nav-group" key={i}>
            {group.heading && <div className="nav-heading">{group.heading}</div>}
            {group.items.map((item) => (
              <NavLink
                key={item.testId}
                to={`/o/${orgId}${item.to ? `/${item.to}` : ""}`}
                end={item.end}
                className="nav-link"
                data-testid={item.testId}
              >
                <Icon name={item.icon} />
                {item.label}
              </NavLink>
            ))}
          </div>
        ))}
      </nav>
      <div className="nav-backdrop" onClick={() => setNavOpen(false)} aria-hidden="true" />
      <main className="content" id="main">
        {orgsError && (
          <Alert>
            Could not load your organisations: {orgsError}{" "}
            <button type="button" className="link-button" onClick={() => void reloadOrgs()}>
              Retry
            </button>
          </Alert>
        )}
        {orgs === null && !orgsError && !personal ? (
          <Spinner />
        ) : notMember ? (
          <Alert testId="org-missing">
            You are not a member of this organisation, or it does not exist.{" "}
            {orgs && orgs[0] && <Link to={`/o/${orgs[0].id}`}>Go to {orgs[0].name}</Link>}
          </Alert>
        ) : (
          <Outlet key={personal ? "personal" : orgId} />
        )}
      </main>
    </div>
  );
}
