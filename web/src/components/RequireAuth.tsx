import { Navigate, Outlet, useLocation } from "react-router-dom";
import { useSession } from "../state/session";

/** Sends visitors without a session to /login, remembering where they were going (deep links). */
export function RequireAuth() {
  const { loggedIn } = useSession();
  const location = useLocation();
  if (!loggedIn) {
    const from = location.pathname + location.search + location.hash;
    return <Navigate to="/login" replace state={{ from }} />;
  }
  return <Outlet />;
}
