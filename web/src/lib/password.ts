/** The server's minimum (sideline.auth.passwords.MIN_PASSWORD_LENGTH). */
export const MIN_PASSWORD_LENGTH = 8;

/** Why a new password cannot be submitted yet, or null if it can. `repeat` is checked only when given. */
export function passwordProblem(password: string, repeat?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (repeat !== undefined && repeat !== password) return "The two passwords do not match.";
  return null;
}
