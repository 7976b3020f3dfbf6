import {
  createContext,
  useContext,
  useEffect,
  useMemo,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import type { Client, Credentials } from "./client.js";
import { SESSION_EXPIRED_MESSAGE, isForcedSignOut } from "./notice.js";
import { loginURL } from "./next.js";
import type { AuthState, LogoutScope, Session, SignOutReason, Status, User } from "./types.js";

const ClientContext = createContext<Client | null>(null);

/** AuthProviderProps are the props of {@link AuthProvider}. */
export interface AuthProviderProps {
  client: Client;
  /** Restore the session through the refresh cookie on mount (default true). */
  restore?: boolean;
  children?: ReactNode;
}

/**
 * AuthProvider makes `client` available to {@link useAuth} below it and, by
 * default, restores the session when it mounts.
 */
export function AuthProvider({ client, restore = true, children }: AuthProviderProps) {
  useEffect(() => {
    if (restore) void client.restore();
  }, [client, restore]);
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** Auth is what {@link useAuth} returns. */
export interface Auth {
  status: Status;
  user: User | null;
  /** When the access token expires, on the `Date.now()` clock. */
  expiresAt: number | null;
  signOutReason: SignOutReason | null;
  /** True when the last session ended by force (expired, revoked, reused). */
  sessionExpired: boolean;
  client: Client;
  logIn(credentials: Credentials): Promise<User>;
  signUp(credentials: Credentials): Promise<User>;
  logOut(scope?: LogoutScope): Promise<void>;
  sessions(): Promise<Session[]>;
  revokeSession(id: string): Promise<void>;
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  me(): Promise<User>;
}

/** useClient returns the client of the nearest {@link AuthProvider}. */
export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useAuth must be used inside <AuthProvider>");
  return client;
}

/** useAuthState subscribes to the raw state snapshot. */
export function useAuthState(): AuthState {
  const client = useClient();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}

/** useAuth returns the auth status, the user and the actions. */
export function useAuth(): Auth {
  const client = useClient();
  const state = useSyncExternalStore(client.subscribe, client.getState, client.getState);
  return useMemo(
    () => ({
      status: state.status,
      user: state.user,
      expiresAt: state.expiresAt,
      signOutReason: state.signOutReason,
      sessionExpired: isForcedSignOut(state.signOutReason),
      client,
      logIn: client.logIn,
      signUp: client.signUp,
      logOut: (scope?: LogoutScope) => client.logOut({ scope }),
      sessions: client.sessions,
      revokeSession: client.revokeSession,
      changePassword: client.changePassword,
      me: client.me,
    }),
    [state, client],
  );
}

/** LocationLike is the current path, as `window.location` or a router has it. */
export interface LocationLike {
  pathname: string;
  search: string;
  hash: string;
}

/** RequireAuthProps are the props of {@link RequireAuth}. */
export interface RequireAuthProps {
  children?: ReactNode;
  /** Same-origin path of the login page (default "/login"). */
  loginPath?: string;
  /** What to show while the session is being restored (default nothing). */
  fallback?: ReactNode;
  /**
   * Navigates to a same-origin path, replacing the history entry. Pass your
   * router's; the default assigns `window.location`.
   */
  navigate?: (to: string, options: { replace: boolean }) => void;
  /** The current location; defaults to `window.location`. */
  location?: LocationLike;
}

/**
 * RequireAuth renders its children only for a signed-in user. Anonymous
 * users are sent to `<loginPath>?next=<current path>`; only same-origin
 * paths are ever used, so it cannot become an open redirect.
 */
export function RequireAuth(props: RequireAuthProps) {
  const { children, loginPath = "/login", fallback = null, navigate, location } = props;
  const { status } = useAuth();
  const loc = location ?? globalThis.location;
  const here = loc ? loc.pathname + loc.search + loc.hash : "/";

  useEffect(() => {
    if (status !== "anonymous") return;
    const target = loginURL(loginPath, here);
    if (navigate) navigate(target, { replace: true });
    else globalThis.location?.replace(target);
  }, [status, here, loginPath, navigate]);

  if (status !== "authenticated") return <>{fallback}</>;
  return <>{children}</>;
}

/** SessionExpiredNoticeProps are the props of {@link SessionExpiredNotice}. */
export interface SessionExpiredNoticeProps {
  className?: string;
  /** The text to show (default "Your session has expired. Please log in again."). */
  children?: ReactNode;
}

/**
 * SessionExpiredNotice shows, as an alert, that the last session was ended
 * by force (expired, revoked elsewhere or reused), and nothing otherwise.
 */
export function SessionExpiredNotice({ className, children }: SessionExpiredNoticeProps) {
  const { sessionExpired } = useAuth();
  if (!sessionExpired) return null;
  return (
    <div role="alert" className={className}>
      {children ?? SESSION_EXPIRED_MESSAGE}
    </div>
  );
}
