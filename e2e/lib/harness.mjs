// Harness for the end-to-end tests: builds and starts the real sallyport
// binary on a free loopback port with a fresh data directory, and launches
// Debian's Chromium (never a downloaded browser) with a fresh profile.

import { execFile, spawn } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");
export const artifactsDir = process.env.E2E_ARTIFACTS ?? join(repoRoot, "e2e", "artifacts");

/** ACCESS_TTL_SECONDS is the short access-token lifetime the server runs with. */
export const ACCESS_TTL_SECONDS = 3;

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

let built = null;

/** binary returns the path of a sallyport binary, building it once when needed. */
export async function binary() {
  if (process.env.SALLYPORT_BIN) return process.env.SALLYPORT_BIN;
  if (!built) {
    built = (async () => {
      const dir = await mkdtemp(join(tmpdir(), "sallyport-bin-"));
      const out = join(dir, "sallyport");
      await run("go", ["build", "-o", out, "./cmd/sallyport"], {
        cwd: repoRoot,
        maxBuffer: 16 << 20,
      });
      return out;
    })();
  }
  return built;
}

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * startServer runs `sallyport serve` on a free loopback port and waits for
 * /healthz. It returns { url, stop, log }.
 */
export async function startServer({ accessTTL = `${ACCESS_TTL_SECONDS}s` } = {}) {
  const bin = await binary();
  const dataDir = await mkdtemp(join(tmpdir(), "sallyport-e2e-"));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const args = [
    "serve",
    "--addr", addr,
    "--data-dir", dataDir,
    "--access-ttl", accessTTL,
    "--leeway", "0s",
    "--log-level", "warn",
  ];
  // Settings come from the flags above only, not from the caller's SALLYPORT_*.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("SALLYPORT_")),
  );
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((res) => child.on("exit", (code) => res(code)));

  const url = `http://${addr}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sallyport exited early:\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`sallyport did not become healthy:\n${log}`);
    }
    await sleep(100);
  }

  async function stop() {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  return { url, stop, log: () => log };
}

/**
 * openBrowser launches Chromium headless with a fresh user-data directory.
 * It returns { context, close }; the context starts with one page.
 */
export async function openBrowser() {
  const profile = await mkdtemp(join(tmpdir(), "sallyport-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1100, height: 760 },
  });
  const cspErrors = [];
  const watch = (page) =>
    page.on("console", (msg) => {
      if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) {
        cspErrors.push(msg.text());
      }
    });
  context.pages().forEach(watch);
  context.on("page", watch);
  async function close() {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  return { context, close, cspErrors };
}

/** page0 returns the first page of a context. */
export function firstPage(context) {
  return context.pages()[0] ?? context.newPage();
}

let counter = 0;
/** uniqueEmail makes an address no other test uses. */
export function uniqueEmail(tag) {
  counter++;
  return `${tag}-${process.pid}-${Date.now()}-${counter}@example.com`;
}

export const PASSWORD = "correct horse battery staple";

/** signUpInBrowser signs up through the form and waits for the protected page. */
export async function signUpInBrowser(page, url, email, password = PASSWORD) {
  await page.goto(`${url}/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${url}/`);
  await page.getByText(`Signed in as ${email}`).waitFor();
}

/** api calls the JSON API from Node (another device, as far as the server knows). */
export async function api(url, method, path, { body, token, headers = {} } = {}) {
  const res = await fetch(`${url}/api/auth${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "e2e-other-device/1.0",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, headers: res.headers };
}

/** countRequests counts requests to an API path made by a context. */
export function countRequests(context, path) {
  const seen = { count: 0, urls: [] };
  context.on("request", (req) => {
    if (new URL(req.url()).pathname === path) {
      seen.count++;
      seen.urls.push(req.url());
    }
  });
  return seen;
}

/** screenshot saves a PNG under the artifacts directory. */
export async function screenshot(page, name) {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
