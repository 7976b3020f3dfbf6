/** User is the account as the API describes it. */
export interface User {
  id: string;
  email: string;
  role: string;
  created_at: string;
}

/** Session is one signed-in device, as listed by `GET /api/auth/sessions`. */
export interface Session {
  id: string;
  user_agent: string;
  ip: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  /** True for the session of the caller. */
  current: boolean;
}

/** Status is where the client stands: restoring, signed in or signed out. */
export type Status = "loading" | "authenticated" | "anonymous";

/**
 * SignOutReason says why a session ended: the user logged out here ("user"),
 * in another tab ("other_tab"), or the server ended it ("expired",
 * "revoked", "reused": its refresh token was used twice, a sign of theft).
 */
export type SignOutReason = "user" | "expired" | "revoked" | "reused" | "other_tab";

/** LogoutScope picks which sessions a logout ends. */
export type LogoutScope = "local" | "others" | "global";

/** AuthState is an immutable snapshot; a new object replaces it on each change. */
export interface AuthState {
  readonly status: Status;
  readonly user: User | null;
  /**
   * When the access token stops working, in milliseconds on this page's
   * `Date.now()` clock, computed from `expires_in` when the token arrived.
   */
  readonly expiresAt: number | null;
  /** Why the last session ended, or null. Cleared by the next sign-in. */
  readonly signOutReason: SignOutReason | null;
  /** The last temporary refresh failure while it lasts (the session is kept). */
  readonly refreshError: Error | null;
}

/** AuthEvents maps each event name to what its listeners receive. */
export interface AuthEvents {
  signed_in: { user: User };
  token_refreshed: { user: User; expiresAt: number };
  signed_out: { reason: SignOutReason };
}

/** TokenResponse is the body of a successful signup, login or refresh. */
export interface TokenResponse {
  access_token: string;
  token: string;
  token_type: string;
  expires_in: number;
  expires_at: number;
  user: User;
  refresh_token?: string;
}
