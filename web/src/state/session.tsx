// Who is logged in, their organisations, and the live connection, for everything under RequireAuth.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, call, errorMessage, freshAccessToken, login as apiLogin, logout as apiLogout, refreshTokens } from "../api/client";
import { tokenStore } from "../api/auth";
import type { Me, Organisation } from "../api/types";
import { LiveConnection, liveUrl, type LiveStatus } from "../lib/live";
import { DEFAULT_UNITS, type Units } from "../lib/units";

interface SessionValue {
  loggedIn: boolean;
  me: Me | null;
  meError: string | null;
  orgs: Organisation[] | null;
  orgsError: string | null;
  reloadOrgs(): Promise<void>;
  reloadMe(): Promise<void>;
  login(email: string, password: string): Promise<void>;
  logout(): void;
  live: LiveConnection | null;
  /** Display units (`/me/preferences/display`), read once after login; metric until then. */
  units: Units;
  saveUnits(units: Units): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

const ORG_KEY = "sideline.org";
export const rememberedOrg = () => localStorage.getItem(ORG_KEY);
export const rememberOrg = (orgId: string) => localStorage.setItem(ORG_KEY, orgId);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [loggedIn, setLoggedIn] = useState(() => tokenStore.get() !== null);
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<string | null>(null);
  const [orgs, setOrgs] = useState<Organisation[] | null>(null);
  const [orgsError, setOrgsError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveConnection | null>(null);
  const [units, setUnits] = useState<Units>(DEFAULT_UNITS);

  useEffect(() => tokenStore.subscribe((tokens) => setLoggedIn(tokens !== null)), []);

  const reloadMe = useCallback(async () => {
    try {
      setMe(await call(api.GET("/api/v1/me")));
      setMeError(null);
    } catch (error) {
      setMeError(errorMessage(error));
    }
  }, []);

  const reloadOrgs = useCallback(async () => {
    try {
      const page = await call(api.GET("/api/v1/orgs", { params: { query: { limit: 500, offset: 0 } } }));
      setOrgs(page.items);
      setOrgsError(null);
    } catch (error) {
      setOrgsError(errorMessage(error));
    }
  }, []);

  useEffect(() => {
    if (!loggedIn) {
      setMe(null);
      setOrgs(null);
      setMeError(null);
      setOrgsError(null);
      setUnits(DEFAULT_UNITS);
      return;
    }
    void reloadMe();
    void reloadOrgs();
    // A failed read leaves metric: the pages still work, and the account page shows errors on save.
    void call(api.GET("/api/v1/me/preferences/display")).then((prefs) => setUnits(prefs.units), () => undefined);
    const connection = new LiveConnection({
      url: async () => {
        const token = await freshAccessToken(60);
        return token ? liveUrl(token) : null;
      },
      onAuthRejected: () => refreshTokens(),
    });
    const online = () => connection.reconnectNow();
    window.addEventListener("online", online);
    setLive(connection);
    return () => {
      window.removeEventListener("online", online);
      connection.close();
      setLive(null);
    };
  }, [loggedIn, reloadMe, reloadOrgs]);

  const login = useCallback(async (email: string, password: string) => {
    await apiLogin(email, password);
  }, []);

  const saveUnits = useCallback(async (next: Units) => {
    const saved = await call(api.PUT("/api/v1/me/preferences/display", { body: { units: next } }));
    setUnits(saved.units);
  }, []);

  const value = useMemo<SessionValue>(
    () => ({ loggedIn, me, meError, orgs, orgsError, reloadOrgs, reloadMe, login, logout: apiLogout, live, units, saveUnits }),
    [loggedIn, me, meError, orgs, orgsError, reloadOrgs, reloadMe, login, live, units, saveUnits],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The live connection's status, for a "Live" badge. */
export function useLiveStatus(): LiveStatus {
  const { live } = useSession();
  const [status, setStatus] = useState<LiveStatus>(live?.status ?? "idle");
  useEffect(() => {
    if (!live) return;
    setStatus(live.status);
    return live.onStatus(setStatus);
  }, [live]);
  return status;
}
