// @vitest-environment jsdom
import { StrictMode } from "react";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, type Client } from "../src/client.js";
import {
  AuthProvider,
  RequireAuth,
  SessionExpiredNotice,
  useAuth,
  type LocationLike,
} from "../src/react.js";
import { FakeServer, apiError, deferred, json, tokenResponse, user } from "./fake.js";

afterEach(cleanup);

function setup(refresh: () => Response | Promise<Response>) {
  const server = new FakeServer();
  server.on("POST /api/auth/refresh", refresh);
  server.on("POST /api/auth/logout", () => new Response(null, { status: 204 }));
  const client = createClient({ fetch: server.fetch, channel: null, locks: null });
  return { server, client };
}

function loc(pathname: string, search = "", hash = ""): LocationLike {
  return { pathname, search, hash };
}

function renderGuarded(client: Client, location: LocationLike, loginPath?: string) {
  const navigate = vi.fn();
  const view = render(
    <AuthProvider client={client}>
      <RequireAuth navigate={navigate} location={location} loginPath={loginPath} fallback={<p>Loading</p>}>
        <p>Secret page</p>
      </RequireAuth>
    </AuthProvider>,
  );
  return { navigate, view };
}

describe("RequireAuth", () => {
  it("shows the fallback while restoring, then the children", async () => {
    const gate = deferred<Response>();
    const { client } = setup(() => gate.promise);
    const { navigate } = renderGuarded(client, loc("/"));

    expect(screen.getByText("Loading")).toBeTruthy();
    expect(screen.queryByText("Secret page")).toBeNull();
    await act(async () => gate.resolve(tokenResponse("t1")));

    expect(screen.getByText("Secret page")).toBeTruthy();
    expect(navigate).not.toHaveBeenCalled();
  });

  it.each([
    [loc("/sessions"), "/login?next=%2Fsessions"],
    [loc("/sessions", "?tab=2", "#x"), "/login?next=%2Fsessions%3Ftab%3D2%23x"],
    [loc("/"), "/login"],
    [loc("//elsewhere.example"), "/login"],
    [loc("/login", "?next=%2Fa"), "/login"],
  ])("sends an anonymous user at %j to %s, replacing history", async (where, want) => {
    const { client } = setup(() => apiError(401, "invalid_refresh_token"));
    const { navigate } = renderGuarded(client, where);
    await act(async () => {
      await client.restore();
    });
    expect(navigate).toHaveBeenCalledWith(want, { replace: true });
    expect(screen.queryByText("Secret page")).toBeNull();
  });

  it("never navigates off the site, even with a hostile loginPath", async () => {
    const { client } = setup(() => apiError(401, "invalid_refresh_token"));
    const { navigate } = renderGuarded(client, loc("/x"), "https://elsewhere.example/login");
    await act(async () => {
      await client.restore();
    });
    expect(navigate).toHaveBeenCalledWith("/login?next=%2Fx", { replace: true });
  });

  it("hides the page at once when the session ends while it is shown", async () => {
    const { client, server } = setup(() => tokenResponse("t1"));
    server.on("GET /api/auth/me", () => apiError(401, "session_revoked"));
    const { navigate } = renderGuarded(client, loc("/sessions"));
    await act(async () => {
      await client.restore();
    });
    expect(screen.getByText("Secret page")).toBeTruthy();

    await act(async () => {
      await client.me().catch(() => undefined);
    });

    expect(screen.queryByText("Secret page")).toBeNull();
    expect(navigate).toHaveBeenCalledWith("/login?next=%2Fsessions", { replace: true });
  });

  it("falls back to window.location when no navigate is given", async () => {
    const { client } = setup(() => apiError(401, "invalid_refresh_token"));
    window.history.replaceState(null, "", "/private?q=1");
    const replace = vi.fn();
    const original = window.location;
    Object.defineProperty(window, "location", {
      configurable: true,
      value: { ...original, pathname: "/private", search: "?q=1", hash: "", replace },
    });
    try {
      render(
        <AuthProvider client={client}>
          <RequireAuth>
            <p>Secret page</p>
          </RequireAuth>
        </AuthProvider>,
      );
      await act(async () => {
        await client.restore();
      });
      expect(replace).toHaveBeenCalledWith("/login?next=%2Fprivate%3Fq%3D1");
    } finally {
      Object.defineProperty(window, "location", { configurable: true, value: original });
    }
  });
});

describe("AuthProvider and useAuth", () => {
  function Status() {
    const auth = useAuth();
    return (
      <p>
        {auth.status}:{auth.user?.email ?? "nobody"}
      </p>
    );
  }

  it("restores once, even under StrictMode", async () => {
    const { client, server } = setup(() => tokenResponse("t1"));
    render(
      <StrictMode>
        <AuthProvider client={client}>
          <Status />
        </AuthProvider>
      </StrictMode>,
    );
    expect(screen.getByText("loading:nobody")).toBeTruthy();
    await act(async () => {
      await client.restore();
    });
    expect(screen.getByText(`authenticated:${user.email}`)).toBeTruthy();
    expect(server.count("POST /api/auth/refresh")).toBe(1);
  });

  it("follows log out", async () => {
    const { client } = setup(() => tokenResponse("t1"));
    render(
      <AuthProvider client={client}>
        <Status />
      </AuthProvider>,
    );
    await act(async () => {
      await client.restore();
    });
    await act(async () => {
      await client.logOut();
    });
    expect(screen.getByText("anonymous:nobody")).toBeTruthy();
  });

  it("throws outside a provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(() => render(<Status />)).toThrow(/AuthProvider/);
  });
});

describe("SessionExpiredNotice", () => {
  function renderNotice(client: Client) {
    return render(
      <AuthProvider client={client}>
        <SessionExpiredNotice />
      </AuthProvider>,
    );
  }

  it.each([
    ["session_revoked", true],
    ["session_expired", true],
    ["refresh_token_reused", true],
  ])("shows after a forced sign-out (%s)", async (code) => {
    let first = true;
    const { client, server } = setup(() => {
      if (first) {
        first = false;
        return tokenResponse("t1");
      }
      return apiError(401, code);
    });
    server.on("GET /api/auth/me", () => json(200, { user }));
    renderNotice(client);
    await act(async () => {
      await client.restore();
    });
    expect(screen.queryByRole("alert")).toBeNull();
    await act(async () => {
      await client.refresh();
    });
    expect(screen.getByRole("alert").textContent).toBe("Your session has expired. Please log in again.");
  });

  it("stays hidden after the user logs out or was never signed in", async () => {
    const { client } = setup(() => tokenResponse("t1"));
    renderNotice(client);
    await act(async () => {
      await client.restore();
      await client.logOut();
    });
    expect(screen.queryByRole("alert")).toBeNull();

    const fresh = setup(() => apiError(401, "invalid_refresh_token")).client;
    cleanup();
    renderNotice(fresh);
    await act(async () => {
      await fresh.restore();
    });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
