import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, useLocation } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type Client } from "@sallyport/client";
import { AuthProvider } from "@sallyport/client/react";
import { App } from "./App";

afterEach(cleanup);

const user = { id: "u1", email: "ada@example.com", role: "admin", created_at: "2025-01-01T00:00:00Z" };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function tokens(token: string): Response {
  return json(200, { access_token: token, token, token_type: "Bearer", expires_in: 900, expires_at: 0, user });
}

/** fakeAPI answers like Sallyport; `signedIn` says whether a refresh cookie exists. */
function fakeAPI(opts: { signedIn: boolean; meStatus?: number }) {
  let cookie = opts.signedIn;
  const calls: string[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const path = new URL(String(input), "http://localhost").pathname;
    const method = init.method ?? "GET";
    calls.push(`${method} ${path}`);
    switch (`${method} ${path}`) {
      case "POST /api/auth/refresh":
        return cookie ? tokens("t-refresh") : json(401, { error: "invalid_refresh_token", message: "x" });
      case "POST /api/auth/login":
        cookie = true;
        return tokens("t-login");
      case "POST /api/auth/logout":
        cookie = false;
        return new Response(null, { status: 204 });
      case "GET /api/auth/me":
        if (opts.meStatus === 401) return json(401, { error: "session_revoked", message: "x" });
        return json(200, { user });
      case "GET /api/auth/sessions":
        return json(200, {
          sessions: [
            {
              id: "s1",
              user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0",
              ip: "127.0.0.1",
              created_at: "2025-01-01T00:00:00Z",
              last_used_at: "2025-01-02T00:00:00Z",
              expires_at: "2025-02-01T00:00:00Z",
              current: true,
            },
          ],
        });
      default:
        return json(404, { error: "not_found", message: "x" });
    }
  };
  return { fetch, calls };
}

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{loc.pathname + loc.search}</output>;
}

function renderAt(path: string, client: Client) {
  return render(
    <AuthProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <App />
        <Where />
      </MemoryRouter>
    </AuthProvider>,
  );
}

function where(): string {
  return screen.getByTestId("where").textContent ?? "";
}

function client(api: ReturnType<typeof fakeAPI>): Client {
  return createClient({ fetch: api.fetch, channel: null, locks: null, wakeEvents: [] });
}

async function logIn() {
  fireEvent.change(screen.getByLabelText("Email"), { target: { value: user.email } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: "correct horse battery" } });
  await act(async () => {
    fireEvent.click(screen.getByRole("button", { name: "Log in" }));
  });
}

describe("protected routes", () => {
  it("sends an anonymous visitor to /login with next, and back after login", async () => {
    const api = fakeAPI({ signedIn: false });
    renderAt("/sessions", client(api));

    await waitFor(() => expect(where()).toBe("/login?next=%2Fsessions"));
    expect(screen.queryByRole("heading", { name: "Sessions" })).toBeNull();
    await logIn();

    await waitFor(() => expect(where()).toBe("/sessions"));
    expect(await screen.findByText("This device")).toBeTruthy();
  });

  it("shows the signed-in user, the role and a countdown on /", async () => {
    const api = fakeAPI({ signedIn: true });
    renderAt("/", client(api));
    expect(await screen.findByText(/Signed in as/)).toBeTruthy();
    expect(screen.getByTestId("email").textContent).toBe(user.email);
    expect(screen.getByTestId("role").textContent).toBe("admin");
    expect(screen.getByTestId("countdown").textContent).toMatch(/^1[45]:\d\d$/);
    expect(screen.getByRole("link", { name: "Sessions" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Log out" })).toBeTruthy();
  });

  it("Log out ends on /login and the page is gone", async () => {
    const api = fakeAPI({ signedIn: true });
    renderAt("/", client(api));
    await screen.findByText(/Signed in as/);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Log out" }));
    });
    await waitFor(() => expect(where()).toBe("/login"));
    expect(screen.queryByText(/Signed in as/)).toBeNull();
    expect(api.calls).toContain("POST /api/auth/logout");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("a session revoked elsewhere lands on /login with the expired notice", async () => {
    const api = fakeAPI({ signedIn: true, meStatus: 401 });
    renderAt("/", client(api));
    await screen.findByText(/Signed in as/);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Check session" }));
    });
    await waitFor(() => expect(where()).toBe("/login"));
    expect(screen.getByRole("alert").textContent).toBe("Your session has expired. Please log in again.");
  });
});

describe("next handling on /login", () => {
  it.each([
    ["https://elsewhere.example", "/"],
    ["//elsewhere.example", "/"],
    ["/\\elsewhere.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/sessions", "/sessions"],
  ])("next=%s ends on %s", async (next, want) => {
    const api = fakeAPI({ signedIn: false });
    renderAt(`/login?next=${encodeURIComponent(next)}`, client(api));
    await screen.findByRole("button", { name: "Log in" });
    await logIn();
    await waitFor(() => expect(where()).toBe(want));
  });

  it("a signed-in visitor of /login goes straight on to next", async () => {
    const api = fakeAPI({ signedIn: true });
    renderAt("/login?next=%2Fsessions", client(api));
    await waitFor(() => expect(where()).toBe("/sessions"));
  });

  it("the Sign up link keeps next", async () => {
    const api = fakeAPI({ signedIn: false });
    renderAt("/login?next=%2Fsessions", client(api));
    const link = await screen.findByRole("link", { name: "Sign up" });
    expect(link.getAttribute("href")).toBe("/signup?next=%2Fsessions");
  });
});

describe("signup", () => {
  it("has labelled fields and checks the confirmation", async () => {
    const api = fakeAPI({ signedIn: false });
    renderAt("/signup", client(api));
    await screen.findByRole("button", { name: "Sign up" });
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: user.email } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "correct horse" } });
    fireEvent.change(screen.getByLabelText("Confirm password"), { target: { value: "different one" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Sign up" }));
    });
    expect(screen.getByRole("alert").textContent).toMatch(/do not match/);
    expect(api.calls).not.toContain("POST /api/auth/signup");
  });
});
