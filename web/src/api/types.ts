// Friendly names for the API's shapes, taken from the generated `paths` by operation (not by schema
// name), so regenerating schema.d.ts from the server keeps these working even if model names change.
import type { paths } from "./schema";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer R }
  ? 200 extends keyof R
    ? Json<R[200]>
    : 201 extends keyof R
      ? Json<R[201]>
      : 202 extends keyof R
        ? Json<R[202]>
        : never
  : never;
type Body<Op> = Op extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

type Org = "/api/v1/orgs/{org_id}";

export type TokenPair = Ok<paths["/api/v1/auth/login"]["post"]>;
export type Me = Ok<paths["/api/v1/me"]["get"]>;
export type Organisation = Ok<paths["/api/v1/orgs/{org_id}"]["get"]>;
export type Role = Me["memberships"][number]["role"];

export type Job = Ok<paths[`${Org}/jobs/{job_id}`]["get"]>;
export type JobState = Job["state"];
export type JobPage = Ok<paths[`${Org}/jobs`]["get"]>;

export type ApiKey = Ok<paths[`${Org}/api-keys/{key_id}`]["delete"]>;
export type ApiKeyCreated = Ok<paths[`${Org}/api-keys`]["post"]>;
export type ApiKeyInput = Body<paths[`${Org}/api-keys`]["post"]>;
export type ApiKeyScope = NonNullable<ApiKeyInput["scopes"]>[number];

export type Member = Ok<paths[`${Org}/members/{user_id}`]["get"]>;
export type Invitation = Ok<paths[`${Org}/invitations/{invitation_id}`]["delete"]>;
export type InvitationInput = Body<paths[`${Org}/invitations`]["post"]>;
export type InvitationAccepted = Ok<paths["/api/v1/invitations/accept"]["post"]>;

export type Athlete = Ok<paths[`${Org}/athletes/{athlete_id}`]["get"]>;
export type AthleteInput = Body<paths[`${Org}/athletes`]["post"]>;
export type AthletePatch = Body<paths[`${Org}/athletes/{athlete_id}`]["patch"]>;
export type Erasure = Ok<paths[`${Org}/athletes/{athlete_id}`]["delete"]>;

export type Upload = Ok<paths[`${Org}/uploads/{upload_id}`]["get"]>;
export type StoredFile = Ok<paths[`${Org}/files/{file_id}`]["get"]>;

/** The one error body every endpoint uses. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string | null };
}
