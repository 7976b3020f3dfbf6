/** SESSION_EXPIRED_MESSAGE is what users see after a forced sign-out. */
export const SESSION_EXPIRED_MESSAGE = "Your session has expired. Please log in again.";

/** isForcedSignOut reports whether a sign-out reason warrants the expired notice. */
export function isForcedSignOut(reason: string | null | undefined): boolean {
  return reason === "expired" || reason === "revoked" || reason === "reused";
}
