import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClient, type Client, type ClientOptions } from "../src/client.js";
import type { AuthEvents } from "../src/types.js";
import {
  Bus,
  FakeServer,
  apiError,
  bearer,
  deferred,
  json,
  tokenResponse,
  user,
} from "./fake.js";

const base = "http://api.test";
const creds = { email: "ada@example.com", password: "correct horse battery" };

function makeClient(server: FakeServer, extra: ClientOptions = {}): Client {
  return createClient({
    baseURL: base,
    fetch: server.fetch,
    channel: null,
    locks: null,
    wakeEvents: [],
    random: () => 0.5,
    ...extra,
  });
}

/** signedIn returns a client signed in with access token "t1" (lifetime ttl s). */
async function signedIn(server: FakeServer, ttl = 900, extra: ClientOptions = {}) {
  server.on("POST /api/auth/login", () => tokenResponse("t1", ttl));
  const client = makeClient(server, extra);
  await client.logIn(creds);
  return client;
}

function record<K extends keyof AuthEvents>(client: Client, event: K): AuthEvents[K][] {
  const seen: AuthEvents[K][] = [];
  client.on(event, (p) => seen.push(p));
  return seen;
}

/** meRoute answers /me with 200 for `good` and 401 token_expired otherwise. */
function meRoute(server: FakeServer, good: string) {
  server.on("GET /api/auth/me", (c) =>
    bearer(c) === good ? json(200, { user }) : apiError(401, "token_expired"),
  );
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2025-06-01T12:00:00Z") });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("sign in", () => {
  it("logIn keeps the token in memory and reports the user", async () => {
    const server = new FakeServer();
    const client = makeClient(server);
    const signedInEvents = record(client, "signed_in");
    server.on("POST /api/auth/login", () => tokenResponse("t1", 900));

    const got = await client.logIn(creds);

    expect(got.email).toBe(user.email);
    expect(client.getState().status).toBe("authenticated");
    expect(client.getState().expiresAt).toBe(Date.now() + 900_000);
    expect(await client.getAccessToken()).toBe("t1");
    expect(signedInEvents).toHaveLength(1);
    const call = server.calls[0]!;
    expect(call.url).toBe(`${base}/api/auth/login`);
    expect(JSON.parse(call.body!)).toEqual(creds);
    expect(JSON.parse(call.body!)).not.toHaveProperty("return_refresh_token");
  });

  it("signUp posts to /signup", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/signup", () => tokenResponse("t1", 900, 201));
    const client = makeClient(server);
    await client.signUp(creds);
    expect(client.getState().status).toBe("authenticated");
  });

  it.each([
    [401, "invalid_credentials"],
    [409, "email_taken"],
    [422, "weak_password"],
    [429, "too_many_attempts"],
  ])("a %i %s is thrown with its code and the client stays signed out", async (status, code) => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => apiError(status, code));
    const client = makeClient(server);
    await client.restore().catch(() => undefined);

    await expect(client.logIn(creds)).rejects.toMatchObject({ status, code });
    expect(client.getState().status).toBe("anonymous");
  });
});

describe("restore", () => {
  it("restores the session through the refresh cookie", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const client = makeClient(server);
    expect(client.getState().status).toBe("loading");

    const state = await client.restore();

    expect(state.status).toBe("authenticated");
    const call = server.calls[0]!;
    expect(call.headers.get("X-Requested-With")).toBeTruthy();
    expect(JSON.parse(call.body!)).toEqual({});
  });

  it.each([
    ["invalid_refresh_token", null],
    ["session_expired", "expired"],
    ["session_revoked", "revoked"],
    ["refresh_token_reused", "reused"],
  ])("a 401 %s leaves it anonymous with reason %s", async (code, reason) => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => apiError(401, code));
    const client = makeClient(server);

    const state = await client.restore();

    expect(state.status).toBe("anonymous");
    expect(state.signOutReason).toBe(reason);
  });

  it("runs once however often it is called", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const client = makeClient(server);
    await Promise.all([client.restore(), client.restore(), client.restore()]);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });
});

describe("single flight", () => {
  it("three concurrent 401s cause exactly one refresh and three replays", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const gate = deferred<void>();
    server.on("POST /api/auth/refresh", async () => {
      await gate.promise;
      return tokenResponse("t2");
    });
    meRoute(server, "t2");

    const pending = Promise.all([client.me(), client.me(), client.me()]);
    await vi.advanceTimersByTimeAsync(0);
    gate.resolve();
    const users = await pending;

    expect(users.map((u) => u.email)).toEqual([user.email, user.email, user.email]);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
    const meCalls = server.calls.filter((c) => c.path === "/api/auth/me");
    expect(meCalls.map(bearer)).toEqual(["t1", "t1", "t1", "t2", "t2", "t2"]);
  });

  it("a 401 that arrives after another caller refreshed replays without refreshing", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const late = deferred<Response>();
    let first = true;
    server.on("GET /api/auth/me", (c) => {
      if (bearer(c) === "t2") return json(200, { user });
      if (first) {
        first = false;
        return late.promise;
      }
      return apiError(401, "token_expired");
    });

    const slow = client.me();
    await client.me();
    late.resolve(apiError(401, "token_expired"));
    await slow;

    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });

  it("refresh() shares one request between concurrent callers", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const got = await Promise.all([client.refresh(), client.refresh(), client.refresh()]);
    expect(got).toEqual(["t2", "t2", "t2"]);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });
});

describe("refresh failure classes", () => {
  it.each([
    ["session_expired", "expired"],
    ["session_revoked", "revoked"],
    ["refresh_token_reused", "reused"],
    ["invalid_refresh_token", "expired"],
  ])("a 401 %s ends the session (%s) and is not retried", async (code, reason) => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const signedOut = record(client, "signed_out");
    server.on("POST /api/auth/refresh", () => apiError(401, code));
    meRoute(server, "never");

    const res = await client.fetch(`${base}/api/auth/me`);

    expect(res.status).toBe(401);
    expect(client.getState()).toMatchObject({ status: "anonymous", signOutReason: reason });
    expect(signedOut).toEqual([{ reason }]);
    expect(await client.getAccessToken()).toBeNull();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });

  it.each([
    ["429 with Retry-After", () => apiError(429, "too_many_attempts", { "Retry-After": "30" }), 30_000],
    ["500", () => apiError(500, "internal"), 500],
    ["503", () => apiError(503, "unavailable"), 500],
    ["a network error", () => Promise.reject(new TypeError("Failed to fetch")), 500],
  ])("%s keeps the session and backs off", async (_name, answer, minCooldown) => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const signedOut = record(client, "signed_out");
    server.on("POST /api/auth/refresh", answer as () => Promise<Response>);

    await expect(client.refresh()).rejects.toMatchObject({ temporary: true });

    expect(client.getState().status).toBe("authenticated");
    expect(client.getState().refreshError).not.toBeNull();
    expect(signedOut).toEqual([]);
    // Inside the cooldown nothing reaches the network.
    await vi.advanceTimersByTimeAsync(minCooldown - 1);
    await expect(client.refresh()).rejects.toMatchObject({ temporary: true });
    expect(server.count("POST /api/auth/refresh")).toBe(1);

    // Once the server is back, the retry after the cooldown succeeds.
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    await vi.advanceTimersByTimeAsync(61_000);
    expect(server.count("POST /api/auth/refresh")).toBe(2);
    expect(await client.getAccessToken()).toBe("t2");
    expect(client.getState().refreshError).toBeNull();
  });

  it("a 5xx from refresh returns the original 401 to the caller", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => apiError(500, "internal"));
    meRoute(server, "never");

    const res = await client.fetch(`${base}/api/auth/me`);

    expect(res.status).toBe(401);
    expect(client.getState().status).toBe("authenticated");
  });

  it("a refresh that hangs is abandoned after the timeout", async () => {
    const server = new FakeServer();
    const client = await signedIn(server, 900, { refreshTimeoutMs: 5_000 });
    server.on("POST /api/auth/refresh", () => new Promise<Response>(() => undefined));
    // The fake fetch ignores the abort signal, so simulate fetch honouring it.
    const fetchWithAbort: typeof fetch = (input, init) =>
      new Promise((resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        server.fetch(input, init).then(resolve, reject);
      });
    const c2 = makeClient(server, { fetch: fetchWithAbort, refreshTimeoutMs: 5_000 });
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    await c2.logIn(creds);

    const p = c2.refresh();
    const settled = expect(p).rejects.toMatchObject({ code: "network_error" });
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    expect(c2.getState().status).toBe("authenticated");
    client.destroy();
  });
});

describe("no refresh loops", () => {
  it("a refresh that keeps failing is retried with growing cooldowns only", async () => {
    const server = new FakeServer();
    const client = await signedIn(server, 5);
    const refreshTimes: number[] = [];
    server.on("POST /api/auth/refresh", () => {
      refreshTimes.push(Date.now());
      return apiError(503, "unavailable");
    });
    meRoute(server, "never");

    // Ten minutes of an app calling the API every second.
    for (let i = 0; i < 600; i++) {
      void client.fetch(`${base}/api/auth/me`);
      await vi.advanceTimersByTimeAsync(1_000);
    }

    // Back-off 1, 2, 4, ... s capped at 60 s (jittered down to half): the
    // gaps never shrink, and once capped they stay at least 30 s.
    const times = refreshTimes;
    expect(times.length).toBeGreaterThan(5);
    expect(times.length).toBeLessThanOrEqual(20);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]! * 0.99);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(30_000);
    expect(client.getState().status).toBe("authenticated");
  });

  it("a replay that is refused again is not refreshed again", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => tokenResponse(`t${server.calls.length}`));
    server.on("GET /api/auth/me", () => apiError(401, "token_expired"));

    const res = await client.fetch(`${base}/api/auth/me`);

    expect(res.status).toBe(401);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
    expect(server.count("GET /api/auth/me")).toBe(2);
  });

  it("after a 401 from refresh, later API calls do not refresh", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => apiError(401, "session_expired"));
    meRoute(server, "never");

    for (let i = 0; i < 5; i++) await client.fetch(`${base}/api/auth/me`);

    expect(server.count("POST /api/auth/refresh")).toBe(1);
    const me = server.calls.filter((c) => c.path === "/api/auth/me");
    expect(me.map(bearer)).toEqual(["t1", null, null, null, null]);
  });
});

describe("timing", () => {
  it("refreshes ahead of expiry, timed from expires_in, with jitter", async () => {
    for (const [rand, ttl, earliest, latest] of [
      [0, 900, 840_000, 840_000],
      [0.999, 900, 810_000, 840_000],
      [0, 5, 4_000, 4_000],
      [0.999, 5, 3_500, 4_000],
    ] as const) {
      const server = new FakeServer();
      server.on("POST /api/auth/refresh", () => tokenResponse("t2", ttl));
      const client = await signedIn(server, ttl, { random: () => rand });
      const start = Date.now();
      await vi.advanceTimersByTimeAsync(earliest - 600);
      expect(server.count("POST /api/auth/refresh"), `ttl ${ttl} rand ${rand}`).toBe(0);
      await vi.advanceTimersByTimeAsync(latest - (Date.now() - start) + 1);
      expect(server.count("POST /api/auth/refresh"), `ttl ${ttl} rand ${rand}`).toBe(1);
      client.destroy();
    }
  });

  it("keeps refreshing as tokens come in", async () => {
    const server = new FakeServer();
    let n = 1;
    server.on("POST /api/auth/refresh", () => tokenResponse(`t${++n}`, 10));
    const client = await signedIn(server, 10);
    const refreshed = record(client, "token_refreshed");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refreshed.length).toBeGreaterThanOrEqual(7);
    expect(refreshed.length).toBeLessThanOrEqual(8);
    client.destroy();
  });

  it("catches up on wake-up when the timer was frozen by sleep", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const wake = new EventTarget();
    const client = await signedIn(server, 900, { wakeEvents: [wake] });

    // Sleep: the wall clock jumps but no timer ran.
    vi.setSystemTime(Date.now() + 3_600_000);
    wake.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(0);

    expect(server.count("POST /api/auth/refresh")).toBe(1);
    expect(await client.getAccessToken()).toBe("t2");
  });

  it("a wake-up before the refresh is due does nothing", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const wake = new EventTarget();
    await signedIn(server, 900, { wakeEvents: [wake] });
    await vi.advanceTimersByTimeAsync(60_000);
    for (const t of ["visibilitychange", "pageshow", "online"]) wake.dispatchEvent(new Event(t));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.count("POST /api/auth/refresh")).toBe(0);
  });

  it("getAccessToken renews a token that has already expired", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const client = await signedIn(server, 900);
    vi.setSystemTime(Date.now() + 901_000);
    expect(await client.getAccessToken()).toBe("t2");
  });
});

describe("logout", () => {
  it.each(["local", "global"] as const)("scope %s signs out and tells the server", async (scope) => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const signedOut = record(client, "signed_out");
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));

    await client.logOut({ scope });

    expect(client.getState()).toMatchObject({ status: "anonymous", signOutReason: "user" });
    expect(signedOut).toEqual([{ reason: "user" }]);
    const call = server.calls.at(-1)!;
    expect(call.path).toBe("/api/auth/logout");
    expect(JSON.parse(call.body!)).toEqual({ scope });
    expect(bearer(call)).toBe("t1");
    expect(call.headers.get("X-Requested-With")).toBeTruthy();
  });

  it("scope others keeps this session", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));
    await client.logOut({ scope: "others" });
    expect(client.getState().status).toBe("authenticated");
  });

  it("signs out locally even when the server cannot be reached", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/logout", () => Promise.reject(new TypeError("offline")));
    await client.logOut();
    expect(client.getState().status).toBe("anonymous");
    expect(await client.getAccessToken()).toBeNull();
  });

  it("a logout during a refresh ends logged out", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const refreshed = record(client, "token_refreshed");
    const gate = deferred<Response>();
    server.on("POST /api/auth/refresh", () => gate.promise);
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));

    const refreshing = client.refresh();
    await vi.advanceTimersByTimeAsync(0);
    const loggingOut = client.logOut();
    expect(client.getState().status).toBe("anonymous");
    // The refresh lands after the logout started: its token must be dropped.
    gate.resolve(tokenResponse("t2"));
    await loggingOut;
    expect(await refreshing).toBeNull();

    expect(client.getState().status).toBe("anonymous");
    expect(await client.getAccessToken()).toBeNull();
    expect(refreshed).toEqual([]);
    // The logout went out after the refresh settled, so it carried the newest cookie.
    const paths = server.calls.map((c) => c.path);
    expect(paths.slice(-2)).toEqual(["/api/auth/refresh", "/api/auth/logout"]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });
});

describe("across tabs", () => {
  function tabs(server: FakeServer) {
    const bus = new Bus();
    const a = makeClient(server, { channel: bus.open });
    const b = makeClient(server, { channel: bus.open });
    return { a, b };
  }

  it("a logout in one tab signs out the other", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));
    const { a, b } = tabs(server);
    await a.logIn(creds);
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getState().status).toBe("authenticated");
    const bOut = record(b, "signed_out");

    await a.logOut();
    await vi.advanceTimersByTimeAsync(0);

    expect(b.getState()).toMatchObject({ status: "anonymous", signOutReason: "other_tab" });
    expect(bOut).toEqual([{ reason: "other_tab" }]);
    expect(await b.getAccessToken()).toBeNull();
    expect(server.count("POST /api/auth/logout")).toBe(1);
  });

  it("a refreshed token is shared, so the other tab does not refresh", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1", 900));
    server.on("POST /api/auth/refresh", () => tokenResponse("t2", 900));
    const { a, b } = tabs(server);
    await a.logIn(creds);
    await vi.advanceTimersByTimeAsync(0);

    await a.refresh();
    await vi.advanceTimersByTimeAsync(0);

    expect(await b.getAccessToken()).toBe("t2");
    expect(b.getState().expiresAt).toBe(a.getState().expiresAt);
    // Both tabs now wait for the same deadline; B's own timer was re-armed.
    await vi.advanceTimersByTimeAsync(800_000);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });

  it("a forced sign-out in one tab carries its reason to the other", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("POST /api/auth/refresh", () => apiError(401, "session_revoked"));
    const { a, b } = tabs(server);
    await a.logIn(creds);
    await vi.advanceTimersByTimeAsync(0);

    await a.refresh();
    await vi.advanceTimersByTimeAsync(0);

    expect(b.getState()).toMatchObject({ status: "anonymous", signOutReason: "revoked" });
  });

  it("a signed-out tab ignores a refresh that was already under way elsewhere", async () => {
    const server = new FakeServer();
    const bus = new Bus();
    const a = makeClient(server, { channel: bus.open });
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    await a.logIn(creds);
    const stale = bus.open("sallyport");
    stale.postMessage({ v: 1, type: "signed_out", reason: "user" });
    await vi.advanceTimersByTimeAsync(0);
    stale.postMessage({ v: 1, type: "token", event: "token_refreshed", token: "t9", user, expiresAt: Date.now() + 1e6 });
    await vi.advanceTimersByTimeAsync(0);
    expect(a.getState().status).toBe("anonymous");
    expect(await a.getAccessToken()).toBeNull();
  });

  it("waits for the refresh lock but refreshes anyway when it does not come", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    const stuck = {
      request: <T>(_n: string, o: { signal?: AbortSignal }, _cb: () => Promise<T>) =>
        new Promise<T>((_, reject) =>
          o.signal?.addEventListener("abort", () => reject(new DOMException("timeout", "AbortError"))),
        ),
    };
    const client = await signedIn(server, 900, { locks: stuck, lockTimeoutMs: 2_000 });
    const p = client.refresh();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(server.count("POST /api/auth/refresh")).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe("t2");
  });
});

describe("fetch wrapper", () => {
  it("sends the token only to the API's origin", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("GET /data", () => json(200, {}));
    await client.fetch(`${base}/data`);
    await client.fetch("https://tracker.example/data");
    const [mine, theirs] = server.calls.filter((c) => c.path === "/data");
    expect(bearer(mine!)).toBe("t1");
    expect(bearer(theirs!)).toBeNull();
  });

  it("keeps the caller's headers and body on the replay", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    server.on("POST /notes", (c) =>
      bearer(c) === "t2" ? json(201, { ok: true }) : apiError(401, "token_expired"),
    );
    const res = await client.fetch(`${base}/notes`, {
      method: "POST",
      headers: { "X-Custom": "1" },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    const replay = server.calls.at(-1)!;
    expect(replay.headers.get("X-Custom")).toBe("1");
    expect(replay.body).toBe('{"a":1}');
  });

  it("a 401 session_revoked ends the session without a refresh", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("GET /api/auth/sessions", () => apiError(401, "session_revoked"));
    await expect(client.sessions()).rejects.toMatchObject({ code: "session_revoked" });
    expect(client.getState()).toMatchObject({ status: "anonymous", signOutReason: "revoked" });
    expect(server.count("POST /api/auth/refresh")).toBe(0);
  });

  it("waits for the session to be restored before sending", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    server.on("GET /api/auth/me", (c) => json(bearer(c) ? 200 : 401, { user }));
    const client = makeClient(server);
    const got = await client.me();
    expect(got.id).toBe(user.id);
    expect(bearer(server.calls.at(-1)!)).toBe("t2");
  });
});

describe("API calls", () => {
  it("lists sessions, revokes one and changes the password", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    const session = {
      id: "s 1/2",
      user_agent: "UA",
      ip: "127.0.0.1",
      created_at: "x",
      last_used_at: "y",
      expires_at: "z",
      current: true,
    };
    server.on("GET /api/auth/sessions", () => json(200, { sessions: [session] }));
    server.on("DELETE /api/auth/sessions/s%201%2F2", () => new Response(null, { status: 204 }));
    server.on("POST /api/auth/password", () => new Response(null, { status: 204 }));

    expect(await client.sessions()).toEqual([session]);
    await client.revokeSession("s 1/2");
    await client.changePassword("old password", "new password");

    const pw = server.calls.at(-1)!;
    expect(JSON.parse(pw.body!)).toEqual({ current_password: "old password", new_password: "new password" });
    expect(pw.headers.get("Content-Type")).toBe("application/json");
    expect(bearer(pw)).toBe("t1");
  });

  it("a failed password change is thrown with its code", async () => {
    const server = new FakeServer();
    const client = await signedIn(server);
    server.on("POST /api/auth/password", () => apiError(401, "invalid_credentials"));
    await expect(client.changePassword("a", "b")).rejects.toMatchObject({ code: "invalid_credentials" });
    expect(client.getState().status).toBe("authenticated");
  });

  it("subscribe sees each change and stops when asked", async () => {
    const server = new FakeServer();
    const client = makeClient(server);
    const seen: string[] = [];
    const stop = client.subscribe((s) => seen.push(s.status));
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    await client.logIn(creds);
    stop();
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));
    await client.logOut();
    expect(seen).toEqual(["authenticated"]);
  });
});
