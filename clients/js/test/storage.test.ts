// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "../src/client.js";
import { Bus, FakeServer, json, tokenResponse, user } from "./fake.js";

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
  sessionStorage.clear();
});

describe("web storage", () => {
  it("nothing token-bearing is ever written to web storage or script-visible cookies", async () => {
    const writes: string[] = [];
    vi.spyOn(Storage.prototype, "setItem").mockImplementation(function (this: Storage, k: string, v: string) {
      writes.push(`${k}=${v}`);
    });
    const server = new FakeServer();
    let n = 0;
    server.on("POST /api/auth/login", () => tokenResponse("secret-access-1", 2));
    server.on("POST /api/auth/refresh", () => tokenResponse(`secret-access-r${++n}`, 2));
    server.on("GET /api/auth/me", () => json(200, { user }));
    server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));
    const bus = new Bus();
    const client = createClient({ fetch: server.fetch, channel: bus.open });
    const other = createClient({ fetch: server.fetch, channel: bus.open });

    await client.restore();
    await client.logIn({ email: user.email, password: "correct horse battery" });
    await client.me();
    await client.refresh();
    await other.getAccessToken();
    await new Promise((r) => setTimeout(r, 2_100)); // a scheduled refresh runs
    await client.logOut();

    expect(n).toBeGreaterThanOrEqual(2);
    expect(writes).toEqual([]);
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).not.toContain("secret");
    client.destroy();
    other.destroy();
  });

  it("same-origin relative URLs get the token when there is no baseURL", async () => {
    const server = new FakeServer();
    server.on("POST /api/auth/login", () => tokenResponse("t1"));
    server.on("GET /api/items", () => json(200, []));
    const client = createClient({ fetch: server.fetch, channel: null });
    await client.logIn({ email: user.email, password: "x" });
    await client.fetch("/api/items");
    expect(server.calls.at(-1)!.headers.get("Authorization")).toBe("Bearer t1");
    expect(server.calls[0]!.url).toBe("/api/auth/login");
    client.destroy();
  });
});
