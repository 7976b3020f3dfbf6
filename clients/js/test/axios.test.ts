import { describe, expect, it } from "vitest";
import { attachToAxios, type AxiosLike, type AxiosLikeConfig } from "../src/axios.js";
import { createClient } from "../src/client.js";
import { FakeServer, apiError, bearer, json, tokenResponse, user } from "./fake.js";

/** miniAxios is just enough of axios: interceptors and request(). */
function miniAxios(server: FakeServer, baseURL: string): AxiosLike {
  const reqs: ((c: AxiosLikeConfig) => Promise<AxiosLikeConfig>)[] = [];
  const errs: ((e: unknown) => unknown)[] = [];
  const inst: AxiosLike = {
    interceptors: {
      request: { use: (f) => reqs.push(f) - 1, eject: (i) => void reqs.splice(i, 1) },
      response: { use: (_ok, bad) => errs.push(bad) - 1, eject: (i) => void errs.splice(i, 1) },
    },
    async request(config) {
      let c: AxiosLikeConfig = { baseURL, headers: {}, ...config };
      for (const f of reqs) c = await f(c);
      const res = await server.fetch(`${c.baseURL}${c.url}`, { headers: c.headers as Record<string, string> });
      const data: unknown = await res.json();
      if (res.ok) return { status: res.status, data };
      let out: Promise<unknown> = Promise.reject({ config: c, response: { status: res.status, data } });
      for (const f of errs) out = out.catch(f);
      return out;
    },
  };
  return inst;
}

describe("attachToAxios", () => {
  it("adds the token, and refreshes once for concurrent 401s", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("POST /api/auth/refresh", () => tokenResponse("t2"));
    server.on("GET /api/auth/me", (c) =>
      bearer(c) === "t2" ? json(200, { user }) : apiError(401, "token_expired"),
    );
    const client = createClient({ baseURL: "http://api.test", fetch: server.fetch, channel: null, locks: null });
    await client.logIn({ email: user.email, password: "x" });
    const ax = miniAxios(server, "http://api.test");
    const detach = attachToAxios(ax, client);

    const got = await Promise.all([1, 2, 3].map(() => ax.request({ url: "/api/auth/me" })));

    expect(got).toHaveLength(3);
    expect(server.count("POST /api/auth/refresh")).toBe(1);
    detach();
    client.destroy();
  });

  it("gives up after one replay", async () => {
    const server = new FakeServer();
    let n = 1;
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("POST /api/auth/refresh", () => tokenResponse(`t${++n}`));
    server.on("GET /api/auth/me", () => apiError(401, "token_expired"));
    const client = createClient({ baseURL: "http://api.test", fetch: server.fetch, channel: null, locks: null });
    await client.logIn({ email: user.email, password: "x" });
    const ax = miniAxios(server, "http://api.test");
    attachToAxios(ax, client);

    await expect(ax.request({ url: "/api/auth/me" })).rejects.toMatchObject({ response: { status: 401 } });
    expect(server.count("POST /api/auth/refresh")).toBe(1);
    expect(server.count("GET /api/auth/me")).toBe(2);
    client.destroy();
  });

  it("does not send the token to other origins", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("GET /x", () => json(200, {}));
    const client = createClient({ baseURL: "http://api.test", fetch: server.fetch, channel: null, locks: null });
    await client.logIn({ email: user.email, password: "x" });
    const ax = miniAxios(server, "https://tracker.example");
    attachToAxios(ax, client);
    await ax.request({ url: "/x" });
    expect(bearer(server.calls.at(-1)!)).toBeNull();
    client.destroy();
  });
});
