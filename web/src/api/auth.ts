// Access and refresh tokens, kept in localStorage so a reload (or a deep link in a new tab) stays logged in.

export interface Tokens {
  access: string;
  refresh: string;
}

const KEY = "sideline.auth";
const REASON_KEY = "sideline.logout-reason";
type Listener = (tokens: Tokens | null) => void;
const listeners = new Set<Listener>();

function load(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    const value = raw ? (JSON.parse(raw) as Partial<Tokens>) : null;
    return value && typeof value.access === "string" && typeof value.refresh === "string"
      ? { access: value.access, refresh: value.refresh }
      : null;
  } catch {
    return null;
  }
}

let current: Tokens | null = typeof localStorage === "undefined" ? null : load();

function emit() {
  for (const listener of listeners) listener(current);
}

export const tokenStore = {
  get(): Tokens | null {
    return current;
  },
  set(tokens: Tokens) {
    current = tokens;
    localStorage.setItem(KEY, JSON.stringify(tokens));
    sessionStorage.removeItem(REASON_KEY);
    emit();
  },
  /** Forget the tokens; `reason` is shown once on the login page (e.g. "Your session has expired"). */
  clear(reason?: string) {
    const had = current !== null;
    current = null;
    localStorage.removeItem(KEY);
    if (reason && had) sessionStorage.setItem(REASON_KEY, reason);
    emit();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  takeLogoutReason(): string | null {
    const reason = sessionStorage.getItem(REASON_KEY);
    sessionStorage.removeItem(REASON_KEY);
    return reason;
  },
};

// Another tab logging in or out changes this one too.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== KEY) return;
    current = load();
    emit();
  });
}

/** Seconds until the JWT's `exp`, or null if the token is not a readable JWT. */
export function secondsLeft(token: string, now = Date.now()): number | null {
  try {
    const payload = token.split(".")[1];
    if (!payload) return null;
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof json.exp === "number" ? json.exp - now / 1000 : null;
  } catch {
    return null;
  }
}
