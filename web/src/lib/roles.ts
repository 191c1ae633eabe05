// Roles inside an organisation, mirroring the server's ROLE_RANK and access levels (deps.MIN_ROLE).
import type { Role } from "../api/types";

/** Most to least powerful, as the server ranks them. */
export const ROLES: readonly Role[] = ["owner", "coach", "analyst", "athlete", "viewer"];

const RANK: Record<Role, number> = { viewer: 0, athlete: 1, analyst: 2, coach: 3, owner: 4 };

export const ROLE_HELP: Record<Role, string> = {
  owner: "manages members, API keys, exports and deletions",
  coach: "adds and edits data",
  analyst: "adds and edits data",
  athlete: "can view",
  viewer: "can view",
};

type MaybeRole = Role | null | undefined;

/** Whether the role may create and change data (the server's "write" access: analyst and up). */
export const canWrite = (role: MaybeRole) => role != null && RANK[role] >= RANK.analyst;

/** Whether the role may manage the organisation (the server's "admin" access: owners only). */
export const isOwner = (role: MaybeRole) => role === "owner";
