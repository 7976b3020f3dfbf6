import { SallyportError, errorFromResponse, isRecord, networkError } from "./errors.js";
import type {
  AuthEvents,
  AuthState,
  LogoutScope,
  Session,
  SignOutReason,
  TokenResponse,
  User,
} from "./types.js";

/** ChannelLike is the part of `BroadcastChannel` the client uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** LockManagerLike is the part of `navigator.locks` the client uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** EventSourceLike is where the client listens for wake-up signals. */
export interface EventSourceLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** ClientOptions configures {@link createClient}; every field is optional. */
export interface ClientOptions {
  /**
   * Origin (and optional path prefix) of the Sallyport server, such as
   * "https://auth.example.com". Empty means the page's own origin.
   */
  baseURL?: string;
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * Seconds before expiry at which the access token is renewed. Defaults
   * to a fifth of its lifetime, between 1 and 60 seconds.
   */
  refreshLeadSeconds?: number;
  /** Upper bound of the back-off after temporary refresh failures. */
  maxCooldownMs?: number;
  /** Milliseconds after which a refresh call is abandoned (default 15 s). */
  refreshTimeoutMs?: number;
  /**
   * Opens the channel that keeps tabs in step. Defaults to a
   * `BroadcastChannel` named `channelName`; null turns cross-tab sync off.
   */
  channel?: ((name: string) => ChannelLike) | null;
  /** Name of the cross-tab channel and Web Lock (default "sallyport"). */
  channelName?: string;
  /**
   * Web Locks used so that tabs take turns to refresh; null turns them off.
   * The server's grace window is what keeps racing tabs signed in, so this
   * is only an optimisation and it gives up after `lockTimeoutMs`.
   */
  locks?: LockManagerLike | null;
  /** How long to wait for the refresh lock before refreshing anyway. */
  lockTimeoutMs?: number;
  /**
   * Where to listen for `visibilitychange`, `pageshow` and `online`, to
   * catch up after sleep. Defaults to `window`/`document` when present.
   */
  wakeEvents?: EventSourceLike[];
  /** Random source in [0, 1) for jitter; defaults to `Math.random`. */
  random?: () => number;
  /**
   * Decides whether `client.fetch` may send the access token to a URL.
   * Defaults to URLs on the page's origin or the API's origin.
   */
  attachTokenTo?: (url: URL) => boolean;
}

/** Credentials are what signup and login take. */
export interface Credentials {
  email: string;
  password: string;
}

/** Client is what {@link createClient} returns. Methods need no `this`. */
export interface Client {
  /** getState returns the current immutable state snapshot. */
  getState(): AuthState;
  /**
   * subscribe calls `listener` after every state change and returns a
   * function that stops it. It fits React's `useSyncExternalStore`.
   */
  subscribe(listener: (state: AuthState) => void): () => void;
  /** on listens for one event and returns a function that stops it. */
  on<K extends keyof AuthEvents>(event: K, listener: (payload: AuthEvents[K]) => void): () => void;
  /**
   * restore brings back the session after a page load through the refresh
   * cookie. It runs once; later calls return the same promise.
   */
  restore(): Promise<AuthState>;
  /** signUp creates an account and signs in. */
  signUp(credentials: Credentials): Promise<User>;
  /** logIn signs in with email and password. */
  logIn(credentials: Credentials): Promise<User>;
  /**
   * logOut ends the session on the server ("local"), every other session
   * ("others"), or all of them ("global"). Locally it always ends signed
   * out (except for "others"), even when the server cannot be reached or a
   * refresh was running at the time.
   */
  logOut(options?: { scope?: LogoutScope }): Promise<void>;
  /** me fetches the signed-in user. */
  me(): Promise<User>;
  /** sessions lists the user's sessions. */
  sessions(): Promise<Session[]>;
  /** revokeSession ends one session of the user. */
  revokeSession(id: string): Promise<void>;
  /** changePassword changes the password; the server ends every other session. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /**
   * getAccessToken returns a usable access token, renewing it first when it
   * has expired, or null when signed out. Keep it in memory only.
   */
  getAccessToken(): Promise<string | null>;
  /**
   * fetch is `fetch` with the access token added (for allowed URLs). On a
   * `401 token_expired` it refreshes once (shared with every other caller)
   * and replays the request once. Request bodies must be replayable
   * (strings, Blobs, FormData...), not streams.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * refresh renews the access token now. Concurrent calls share one request.
   * It resolves to the new token, or null when the session has ended, and
   * rejects with a temporary {@link SallyportError} during a back-off.
   */
  refresh(): Promise<string | null>;
  /**
   * renewAfter401 is for interceptors: given the token a request was sent
   * with and got `401 token_expired`, it returns a newer token (refreshing
   * only when nobody has yet) or null when there is none to be had.
   */
  renewAfter401(usedToken: string | null): Promise<string | null>;
  /** shouldAttachToken reports whether the token may go to `url`. */
  shouldAttachToken(url: string): boolean;
  /** destroy stops timers and listeners and closes the cross-tab channel. */
  destroy(): void;
}

type ChannelMessage =
  | { v: 1; type: "token"; event: "signed_in" | "token_refreshed"; token: string; user: User; expiresAt: number }
  | { v: 1; type: "signed_out"; reason: SignOutReason };

const apiPrefix = "/api/auth";
const csrfHeader = { "X-Requested-With": "sallyport-client" };
const retryOn401 = new Set(["token_expired", "token_invalid"]);
const wakeTypes = ["visibilitychange", "pageshow", "online"] as const;

/**
 * createClient makes a Sallyport client. The access token lives only in
 * the returned object's memory; the refresh token stays in its HttpOnly
 * cookie, out of reach of scripts. Nothing goes to web storage.
 */
export function createClient(options: ClientOptions = {}): Client {
  const base = (options.baseURL ?? "").replace(/\/+$/, "");
  const doFetch: typeof fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
  const random = options.random ?? Math.random;
  const maxCooldownMs = options.maxCooldownMs ?? 60_000;
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 15_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 3_000;
  const channelName = options.channelName ?? "sallyport";
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  const pageBase = globalThis.location?.href ?? (base !== "" ? base + "/" : "http://localhost/");
  const apiOrigin = safeOrigin(base === "" ? "/" : base, pageBase);
  const pageOrigin = globalThis.location?.origin ?? apiOrigin;
  const attachTokenTo =
    options.attachTokenTo ?? ((url: URL) => url.origin === apiOrigin || url.origin === pageOrigin);

  let state: AuthState = {
    status: "loading",
    user: null,
    expiresAt: null,
    signOutReason: null,
    refreshError: null,
  };
  let token: string | null = null;
  // generation changes on every sign-in and sign-out. A refresh that was
  // started in an older generation is ignored when it lands, so a logout
  // that races a refresh always wins.
  let generation = 0;
  let inflight: Promise<string | null> | null = null;
  let restoring: Promise<AuthState> | null = null;
  let refreshAt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let cooldownUntil = 0;
  let lastFailure: SallyportError | null = null;
  let destroyed = false;

  const stateListeners = new Set<(s: AuthState) => void>();
  const eventListeners = new Map<keyof AuthEvents, Set<(p: never) => void>>();

  const channel = openChannel();
  const wakeSources = options.wakeEvents ?? defaultWakeSources();
  for (const src of wakeSources) for (const t of wakeTypes) src.addEventListener(t, onWake);

  function setState(patch: Partial<AuthState>): void {
    state = { ...state, ...patch };
    for (const l of [...stateListeners]) l(state);
  }

  function emit<K extends keyof AuthEvents>(event: K, payload: AuthEvents[K]): void {
    const set = eventListeners.get(event);
    if (!set) return;
    for (const l of [...set]) (l as (p: AuthEvents[K]) => void)(payload);
  }

  function openChannel(): ChannelLike | null {
    const factory =
      options.channel === undefined
        ? typeof BroadcastChannel === "function"
          ? (name: string) => new BroadcastChannel(name) as unknown as ChannelLike
          : null
        : options.channel;
    if (!factory) return null;
    const ch = factory(channelName);
    ch.addEventListener("message", (e) => onChannelMessage(e.data));
    return ch;
  }

  function post(message: ChannelMessage): void {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel must not break signing in or out.
    }
  }

  function onChannelMessage(data: unknown): void {
    if (destroyed || !isRecord(data) || data.v !== 1) return;
    if (data.type === "signed_out") {
      if (state.status === "anonymous") return;
      const reason = data.reason === "user" ? "other_tab" : (data.reason as SignOutReason);
      endSession(reason, false);
      return;
    }
    if (data.type !== "token" || typeof data.token !== "string" || !isRecord(data.user)) return;
    const expiresAt = Number(data.expiresAt);
    if (!Number.isFinite(expiresAt)) return;
    const event = data.event === "signed_in" ? "signed_in" : "token_refreshed";
    // A signed-out tab follows a new sign-in elsewhere, but not a refresh
    // that was already on its way when this tab logged out.
    if (state.status === "anonymous" && event !== "signed_in") return;
    // Drop whatever this tab had in flight; the other tab's token wins.
    if (state.status !== "authenticated") generation++;
    adopt(data.token, data.user as unknown as User, expiresAt, event, false);
  }

  /** adopt makes a token current, schedules its renewal and tells everyone. */
  function adopt(
    newToken: string,
    user: User,
    expiresAt: number,
    event: "signed_in" | "token_refreshed",
    broadcast: boolean,
  ): void {
    const wasAuthenticated = state.status === "authenticated";
    token = newToken;
    failures = 0;
    cooldownUntil = 0;
    lastFailure = null;
    schedule(expiresAt);
    setState({ status: "authenticated", user, expiresAt, signOutReason: null, refreshError: null });
    const kind = wasAuthenticated ? event : "signed_in";
    if (kind === "signed_in") emit("signed_in", { user });
    else emit("token_refreshed", { user, expiresAt });
    if (broadcast) post({ v: 1, type: "token", event: kind, token: newToken, user, expiresAt });
  }

  function adoptResponse(body: TokenResponse, event: "signed_in" | "token_refreshed"): void {
    // Timed from expires_in as received, not from the token's exp against
    // the local clock, so a skewed device clock does not matter.
    const expiresAt = Date.now() + body.expires_in * 1000;
    adopt(body.access_token, body.user, expiresAt, event, true);
  }

  function endSession(reason: SignOutReason | null, broadcast: boolean): void {
    const wasAuthenticated = state.status === "authenticated";
    generation++;
    token = null;
    clearTimer();
    failures = 0;
    cooldownUntil = 0;
    lastFailure = null;
    setState({
      status: "anonymous",
      user: null,
      expiresAt: null,
      signOutReason: reason,
      refreshError: null,
    });
    if (wasAuthenticated && reason !== null) emit("signed_out", { reason });
    if (broadcast && reason !== null) post({ v: 1, type: "signed_out", reason });
  }

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function schedule(expiresAt: number): void {
    const now = Date.now();
    const ttl = Math.max(0, expiresAt - now);
    const lead =
      options.refreshLeadSeconds !== undefined
        ? options.refreshLeadSeconds * 1000
        : Math.min(60_000, Math.max(1_000, ttl * 0.2));
    const jitter = random() * Math.min(ttl * 0.1, 30_000);
    refreshAt = now + Math.max(ttl / 2, ttl - lead) - jitter;
    armTimer(refreshAt);
  }

  function armTimer(at: number): void {
    clearTimer();
    if (destroyed) return;
    timer = setTimeout(onTimer, Math.max(0, at - Date.now()));
  }

  function onTimer(): void {
    timer = null;
    if (state.status !== "authenticated") return;
    refresh().catch(() => {
      // A temporary failure already armed the retry after its cooldown.
    });
  }

  function onWake(): void {
    if (destroyed || state.status !== "authenticated") return;
    if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
    // Timers do not run while a laptop sleeps; catch up when it wakes.
    if (Date.now() >= refreshAt && Date.now() >= cooldownUntil) onTimer();
  }

  function url(path: string): string {
    return `${base}${apiPrefix}${path}`;
  }

  async function call(path: string, init: RequestInit, timeoutMs?: number): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined && !headers.has("Content-Type")) {
      headers.set("Content-Type", "application/json");
    }
    const ctrl = timeoutMs ? new AbortController() : null;
    const t = ctrl ? setTimeout(() => ctrl.abort(), timeoutMs) : null;
    try {
      return await doFetch(url(path), {
        ...init,
        headers,
        credentials: "include",
        signal: ctrl?.signal,
      });
    } catch (err) {
      throw networkError(err);
    } finally {
      if (t !== null) clearTimeout(t);
    }
  }

  function refresh(): Promise<string | null> {
    if (inflight) return inflight;
    if (Date.now() < cooldownUntil && lastFailure) return Promise.reject(lastFailure);
    const gen = generation;
    const before = token;
    const p = withLock(() => doRefresh(gen, before)).finally(() => {
      if (inflight === p) inflight = null;
    });
    inflight = p;
    return p;
  }

  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (!locks) return fn();
    const ctrl = new AbortController();
    const t = setTimeout(() => ctrl.abort(), lockTimeoutMs);
    let started = false;
    try {
      return await locks.request(`${channelName}-refresh`, { signal: ctrl.signal }, () => {
        started = true;
        clearTimeout(t);
        return fn();
      });
    } catch (err) {
      if (started) throw err;
      // The lock did not come in time (a stuck tab?): refresh anyway.
      return fn();
    } finally {
      clearTimeout(t);
    }
  }

  async function doRefresh(gen: number, before: string | null): Promise<string | null> {
    // Another tab may have refreshed while this one waited for the lock.
    if (token !== null && token !== before) return token;

    let res: Response;
    try {
      res = await call("/refresh", { method: "POST", headers: csrfHeader, body: "{}" }, refreshTimeoutMs);
    } catch (err) {
      if (gen !== generation) return null;
      throw backOff(err as SallyportError);
    }
    if (gen !== generation) return null;

    if (res.ok) {
      let body: TokenResponse;
      try {
        body = parseTokenResponse(await res.json());
      } catch {
        if (gen !== generation) return null;
        throw backOff(new SallyportError(res.status, "bad_response", "malformed token response"));
      }
      if (gen !== generation) return null;
      adoptResponse(body, state.status === "authenticated" ? "token_refreshed" : "signed_in");
      return token;
    }

    const err = await errorFromResponse(res);
    if (gen !== generation) return null;
    if (res.status === 401) {
      const restoringNow = state.status === "loading";
      const reason = reasonFor(err.code, restoringNow);
      endSession(reason, !restoringNow);
      return null;
    }
    throw backOff(err);
  }

  /** backOff records a temporary failure and arms a retry after a cooldown. */
  function backOff(err: SallyportError): SallyportError {
    failures++;
    const exp = Math.min(maxCooldownMs, 1_000 * 2 ** (failures - 1));
    let wait = exp / 2 + (random() * exp) / 2;
    if (err.retryAfter !== null) wait = Math.max(wait, err.retryAfter * 1000);
    wait = Math.min(wait, Math.max(maxCooldownMs, (err.retryAfter ?? 0) * 1000));
    cooldownUntil = Date.now() + wait;
    lastFailure = err;
    if (state.status === "authenticated") {
      setState({ refreshError: err });
      refreshAt = cooldownUntil;
      armTimer(cooldownUntil);
    }
    return err;
  }

  function restore(): Promise<AuthState> {
    if (restoring) return restoring;
    restoring = (async () => {
      if (state.status !== "loading") return state;
      try {
        await refresh();
      } catch {
        // No answer: nothing to restore from.
      }
      if (state.status === "loading") endSession(null, false);
      return state;
    })();
    return restoring;
  }

  async function signIn(path: string, creds: Credentials): Promise<User> {
    const res = await call(path, { method: "POST", body: JSON.stringify(creds) });
    if (!res.ok) throw await errorFromResponse(res);
    const body = parseTokenResponse(await res.json());
    generation++;
    adoptResponse(body, "signed_in");
    return body.user;
  }

  async function logOut(opts: { scope?: LogoutScope } = {}): Promise<void> {
    const scope = opts.scope ?? "local";
    const pending = inflight;
    let bearer = token;
    if (scope === "others") {
      bearer = await getAccessToken();
    } else {
      endSession("user", true);
    }
    // Let a refresh that is already on the wire land first, so that the
    // cookie sent with the logout is the newest one. Its result is ignored.
    if (pending && scope !== "others") await pending.catch(() => null);

    const headers: Record<string, string> = { ...csrfHeader };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let res: Response;
    try {
      res = await call("/logout", { method: "POST", headers, body: JSON.stringify({ scope }) });
    } catch (err) {
      if (scope === "others") throw err;
      return; // Signed out locally; the session dies on its own.
    }
    if (!res.ok && scope === "others") throw await errorFromResponse(res);
  }

  async function getAccessToken(): Promise<string | null> {
    if (state.status === "loading") await restore();
    if (state.status !== "authenticated") return null;
    if (state.expiresAt !== null && Date.now() >= state.expiresAt) {
      try {
        return await refresh();
      } catch {
        return token; // Temporary failure: the server will say what it thinks.
      }
    }
    return token;
  }

  async function renewAfter401(usedToken: string | null): Promise<string | null> {
    if (state.status !== "authenticated") return null;
    if (token !== null && token !== usedToken) return token;
    try {
      return await refresh();
    } catch {
      return null;
    }
  }

  function shouldAttachToken(target: string): boolean {
    try {
      return attachTokenTo(new URL(target, pageBase));
    } catch {
      return false;
    }
  }

  async function authedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const target = input instanceof Request ? input.url : String(input);
    if (!shouldAttachToken(target)) return doFetch(input, init);

    const send = (bearer: string | null): Promise<Response> => {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      if (bearer) headers.set("Authorization", `Bearer ${bearer}`);
      const req = input instanceof Request ? input.clone() : input;
      return doFetch(req, { ...init, headers });
    };

    const used = await getAccessToken();
    const res = await send(used);
    if (res.status !== 401 || used === null) return res;

    const err = await errorFromResponse(res);
    if (err.code === "session_revoked") {
      if (token === used) endSession("revoked", true);
      return res;
    }
    if (!retryOn401.has(err.code)) return res;
    const fresh = await renewAfter401(used);
    if (fresh === null || fresh === used) return res;
    const again = await send(fresh);
    if (again.status === 401) {
      const err2 = await errorFromResponse(again);
      if (err2.code === "session_revoked" && token === fresh) endSession("revoked", true);
    }
    return again;
  }

  async function api<T>(path: string, init: RequestInit, pick: (body: unknown) => T): Promise<T> {
    const res = await authedFetch(url(path), init);
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return pick(null);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new SallyportError(res.status, "bad_response", `malformed answer from ${path}`);
    }
    return pick(body);
  }

  async function me(): Promise<User> {
    const user = await api("/me", { method: "GET" }, (b) => {
      if (!isRecord(b) || !isRecord(b.user)) throw badShape("/me");
      return b.user as unknown as User;
    });
    if (state.status === "authenticated") setState({ user });
    return user;
  }

  function sessions(): Promise<Session[]> {
    return api("/sessions", { method: "GET" }, (b) => {
      if (!isRecord(b) || !Array.isArray(b.sessions)) throw badShape("/sessions");
      return b.sessions as Session[];
    });
  }

  function revokeSession(id: string): Promise<void> {
    return api(`/sessions/${encodeURIComponent(id)}`, { method: "DELETE" }, () => undefined);
  }

  function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const body = JSON.stringify({ current_password: currentPassword, new_password: newPassword });
    return api("/password", { method: "POST", body, headers: jsonHeaders() }, () => undefined);
  }

  function destroy(): void {
    destroyed = true;
    clearTimer();
    for (const src of wakeSources) for (const t of wakeTypes) src.removeEventListener(t, onWake);
    channel?.close();
    stateListeners.clear();
    eventListeners.clear();
  }

  return {
    getState: () => state,
    subscribe(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    on(event, listener) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => set.delete(listener as (p: never) => void);
    },
    restore,
    signUp: (c) => signIn("/signup", c),
    logIn: (c) => signIn("/login", c),
    logOut,
    me,
    sessions,
    revokeSession,
    changePassword,
    getAccessToken,
    fetch: authedFetch,
    refresh,
    renewAfter401,
    shouldAttachToken,
    destroy,
  };
}

function reasonFor(code: string, restoring: boolean): SignOutReason | null {
  switch (code) {
    case "session_revoked":
      return "revoked";
    case "refresh_token_reused":
      return "reused";
    case "session_expired":
      return "expired";
    default:
      // No cookie (or an unknown one) while restoring is simply "not signed
      // in"; while signed in, it means the session is gone.
      return restoring ? null : "expired";
  }
}

function parseTokenResponse(body: unknown): TokenResponse {
  if (
    !isRecord(body) ||
    typeof body.access_token !== "string" ||
    typeof body.expires_in !== "number" ||
    !isRecord(body.user)
  ) {
    throw new SallyportError(200, "bad_response", "malformed token response");
  }
  return body as unknown as TokenResponse;
}

function badShape(path: string): SallyportError {
  return new SallyportError(200, "bad_response", `unexpected answer from ${path}`);
}

function jsonHeaders(): Record<string, string> {
  return { "Content-Type": "application/json" };
}

function safeOrigin(target: string, basis: string): string {
  try {
    return new URL(target, basis).origin;
  } catch {
    return "null";
  }
}

function defaultLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}

function defaultWakeSources(): EventSourceLike[] {
  const out: EventSourceLike[] = [];
  if (typeof window !== "undefined") out.push(window);
  if (typeof document !== "undefined") out.push(document);
  return out;
}
