// End-to-end tests of the browser flows of issue 3, against the real
// binary (short --access-ttl) and Debian's Chromium.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  ACCESS_TTL_SECONDS,
  PASSWORD,
  api,
  countRequests,
  firstPage,
  openBrowser,
  screenshot,
  signUpInBrowser,
  sleep,
  startServer,
  uniqueEmail,
} from "../lib/harness.mjs";

const EXPIRED_NOTICE = "Your session has expired. Please log in again.";
const ttlMs = ACCESS_TTL_SECONDS * 1000;

let server;
let browser;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

afterEach(async () => {
  await browser?.close();
  browser = null;
});

async function open() {
  browser = await openBrowser();
  const page = await firstPage(browser.context);
  return { context: browser.context, page };
}

/**
 * freezeTimers stops the page's timers (and Date) so that the client's
 * early refresh cannot run: the access token then really expires on the
 * server while the page still holds it. The network keeps working.
 */
async function freezeTimers(page) {
  const now = await page.evaluate(() => Date.now());
  await page.clock.pauseAt(now + 50);
}

describe("sign up and sessions", () => {
  it("signs up and lands on the protected page", async () => {
    const { page } = await open();
    const email = uniqueEmail("signup");

    const res = await page.goto(`${server.url}/signup`);
    const headers = res.headers();
    assert.match(headers["content-security-policy"] ?? "", /default-src 'self'/);
    assert.match(headers["content-security-policy"] ?? "", /frame-ancestors 'none'/);
    assert.doesNotMatch(headers["content-security-policy"] ?? "", /unsafe-inline/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.ok(headers["referrer-policy"], "got no Referrer-Policy");

    await signUpInBrowser(page, server.url, email);

    assert.equal(new URL(page.url()).pathname, "/");
    assert.equal(await page.getByTestId("role").textContent(), "user");
    const countdown = await page.getByTestId("countdown").textContent();
    assert.match(countdown, /^\d+:\d\d$/, `got countdown ${countdown}`);
    await page.getByRole("button", { name: "Log out", exact: true }).waitFor();
    await page.getByRole("link", { name: "Sessions", exact: true }).waitFor();

    // Nothing token-bearing is visible to scripts.
    const storage = await page.evaluate(() => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
    }));
    assert.deepEqual(storage, { local: 0, session: 0, cookie: "" });
    assert.deepEqual(browser.cspErrors, [], "got CSP violations");
    await screenshot(page, "home");
  });

  it("keeps the session across a reload", async () => {
    const { page, context } = await open();
    const email = uniqueEmail("reload");
    await signUpInBrowser(page, server.url, email);
    const refreshes = countRequests(context, "/api/auth/refresh");

    await page.reload();

    await page.getByText(`Signed in as ${email}`).waitFor();
    assert.equal(new URL(page.url()).pathname, "/");
    assert.ok(refreshes.count >= 1, "got no refresh call, want the cookie to restore the session");
  });

  it("lists sessions with the current one marked", async () => {
    const { page } = await open();
    const email = uniqueEmail("sessions");
    await signUpInBrowser(page, server.url, email);
    const other = await api(server.url, "POST", "/login", { body: { email, password: PASSWORD } });
    assert.equal(other.status, 200, JSON.stringify(other.json));

    await page.getByRole("link", { name: "Sessions", exact: true }).click();
    await page.getByRole("heading", { name: "Sessions" }).waitFor();
    const items = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await items.nth(1).waitFor();
    assert.equal(await items.count(), 2);
    assert.equal(await page.getByText("This device").count(), 1);
    await screenshot(page, "sessions");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "sessions-narrow");

    // Revoke the other device's session from here.
    const otherItem = items.filter({ hasText: "e2e-other-device" });
    await otherItem.getByRole("button", { name: "Revoke" }).click();
    await otherItem.waitFor({ state: "detached" });
    assert.equal(await items.count(), 1);
    const me = await api(server.url, "GET", "/me", { token: other.json.access_token });
    assert.equal(me.status, 401);
  });
});

describe("expiry and refresh", () => {
  it("an action after the token lifetime works through a silent refresh", async () => {
    const { page, context } = await open();
    await context.clock.install();
    const email = uniqueEmail("silent");
    await signUpInBrowser(page, server.url, email);
    await freezeTimers(page);
    const refreshes = countRequests(context, "/api/auth/refresh");
    const meStatuses = [];
    context.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/auth/me") meStatuses.push(r.status());
    });

    await sleep(ttlMs + 1500);
    await page.getByRole("button", { name: "Check session" }).click();

    await page.getByText(`Session verified with the server for ${email}.`).waitFor();
    assert.equal(refreshes.count, 1);
    assert.deepEqual(meStatuses, [401, 200]);
    assert.equal(new URL(page.url()).pathname, "/");
  });

  it("three parallel API calls after expiry make one refresh request", async () => {
    const { page, context } = await open();
    await context.clock.install();
    const email = uniqueEmail("parallel");
    await signUpInBrowser(page, server.url, email);
    await freezeTimers(page);
    const refreshes = countRequests(context, "/api/auth/refresh");
    const meStatuses = [];
    context.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/auth/me") meStatuses.push(r.status());
    });

    await sleep(ttlMs + 1500);
    // Three clicks in one task: three requests leave with the same expired token.
    await page.getByRole("button", { name: "Check session" }).evaluate((b) => {
      b.click();
      b.click();
      b.click();
    });

    await page.getByText(`Session verified with the server for ${email}.`).waitFor();
    const deadline = Date.now() + 5_000;
    while (meStatuses.length < 6 && Date.now() < deadline) await sleep(50);
    assert.equal(refreshes.count, 1, `got ${refreshes.count} refresh requests, want 1`);
    assert.deepEqual([...meStatuses].sort(), [200, 200, 200, 401, 401, 401]);
  });

  it("the token is renewed before it expires while the page is open", async () => {
    const { page, context } = await open();
    const email = uniqueEmail("ahead");
    await signUpInBrowser(page, server.url, email);
    const refreshes = countRequests(context, "/api/auth/refresh");
    const me401 = [];
    context.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/auth/me" && r.status() === 401) me401.push(r);
    });

    await sleep(2 * ttlMs + 500);
    await page.getByRole("button", { name: "Check session" }).click();
    await page.getByText(`Session verified with the server for ${email}.`).waitFor();

    assert.ok(refreshes.count >= 2, `got ${refreshes.count} refreshes in two lifetimes`);
    assert.equal(me401.length, 0, "got a 401: the token was not renewed ahead of expiry");
  });
});

describe("logout", () => {
  it("logging out in one tab sends the other tab to /login", async () => {
    const { page, context } = await open();
    const email = uniqueEmail("tabs");
    await signUpInBrowser(page, server.url, email);
    const second = await context.newPage();
    await second.goto(`${server.url}/`);
    await second.getByText(`Signed in as ${email}`).waitFor();

    const start = Date.now();
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await second.waitForURL((u) => u.pathname === "/login", { timeout: 1_000 });
    const took = Date.now() - start;

    assert.ok(took < 1_000, `the other tab took ${took} ms`);
    await page.waitForURL((u) => u.pathname === "/login");
    assert.equal(await second.getByText("Signed in as").count(), 0);
    await second.getByRole("button", { name: "Log in" }).waitFor();
    await screenshot(second, "other-tab-logged-out");
  });

  it("the back button after logout shows nothing protected", async () => {
    const { page } = await open();
    const email = uniqueEmail("back");
    await signUpInBrowser(page, server.url, email);
    await page.getByRole("link", { name: "Sessions", exact: true }).click();
    await page.getByRole("heading", { name: "Sessions" }).waitFor();

    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    // From now on, record whether protected content ever reaches the DOM.
    await page.evaluate(() => {
      window.__leaked = [];
      const check = () => {
        const text = document.body.innerText;
        const frame = document.querySelector("header.topbar");
        if (frame || /Signed in as|Log out everywhere|This device/.test(text)) {
          window.__leaked.push(text);
        }
      };
      new MutationObserver(check).observe(document.body, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });

    // History is [..., "/", "/login"] (the logout replaced "/sessions").
    await page.goBack();
    await page.waitForURL((u) => u.pathname === "/login");
    await sleep(300);
    const leaked = await page.evaluate(() => window.__leaked ?? ["observer lost: page reloaded"]);
    assert.deepEqual(leaked, []);
    assert.equal(await page.getByText("Signed in as").count(), 0);

    // A full reload of a protected URL does not bring the session back either.
    await page.goto(`${server.url}/sessions`);
    await page.waitForURL((u) => u.pathname === "/login");
    assert.equal(await page.getByText("This device").count(), 0);
  });

  it("a session revoked elsewhere sends the user to /login with the expired notice", async () => {
    const { page } = await open();
    const email = uniqueEmail("revoked");
    await signUpInBrowser(page, server.url, email);

    // Another device logs in and revokes the browser's session.
    const other = await api(server.url, "POST", "/login", { body: { email, password: PASSWORD } });
    assert.equal(other.status, 200, JSON.stringify(other.json));
    const token = other.json.access_token;
    const list = await api(server.url, "GET", "/sessions", { token });
    assert.equal(list.status, 200, JSON.stringify(list.json));
    const browserSession = list.json.sessions.find((s) => !s.current);
    assert.ok(browserSession, "got no session for the browser");
    const del = await api(server.url, "DELETE", `/sessions/${browserSession.id}`, { token });
    assert.equal(del.status, 204, JSON.stringify(del.json));

    // Without touching anything, the next refresh finds the session gone.
    await page.waitForURL((u) => u.pathname === "/login", { timeout: ttlMs + 5_000 });
    await page.getByText(EXPIRED_NOTICE).waitFor();
    assert.equal(await page.getByText("Signed in as").count(), 0);
    await screenshot(page, "session-expired");
  });

  it("an action on a revoked session also ends on the notice", async () => {
    const { page, context } = await open();
    await context.clock.install();
    const email = uniqueEmail("revoked-action");
    await signUpInBrowser(page, server.url, email);
    await freezeTimers(page);

    const other = await api(server.url, "POST", "/login", { body: { email, password: PASSWORD } });
    const token = other.json.access_token;
    await api(server.url, "POST", "/logout", { token, body: { scope: "global" } });

    await page.getByRole("button", { name: "Check session" }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    await page.getByText(EXPIRED_NOTICE).waitFor();
  });
});

describe("redirects", () => {
  for (const next of ["https://elsewhere.example", "//elsewhere.example", "/\\elsewhere.example"]) {
    it(`/login?next=${next} stays on the site`, async () => {
      const email = uniqueEmail("next");
      const made = await api(server.url, "POST", "/signup", { body: { email, password: PASSWORD } });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      const { page, context } = await open();
      const offsite = [];
      context.on("request", (r) => {
        if (!r.url().startsWith(server.url)) offsite.push(r.url());
      });

      await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();

      await page.getByText(`Signed in as ${email}`).waitFor();
      const at = new URL(page.url());
      assert.equal(at.origin, server.url);
      assert.equal(at.pathname, "/");
      assert.deepEqual(offsite, []);
    });
  }

  it("a protected page asks for login and comes back after it", async () => {
    const email = uniqueEmail("next-ok");
    await api(server.url, "POST", "/signup", { body: { email, password: PASSWORD } });
    const { page } = await open();

    await page.goto(`${server.url}/sessions`);
    await page.waitForURL((u) => u.pathname === "/login" && u.searchParams.get("next") === "/sessions");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();

    await page.waitForURL(`${server.url}/sessions`);
    await page.getByText("This device").waitFor();
    await screenshot(page, "login-next");
  });

  it("a wrong password says so and stays on /login", async () => {
    const email = uniqueEmail("wrong");
    await api(server.url, "POST", "/signup", { body: { email, password: PASSWORD } });
    const { page } = await open();
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").getByText("Wrong email or password.").waitFor();
    assert.equal(new URL(page.url()).pathname, "/login");
    await screenshot(page, "login-error");
  });
});
