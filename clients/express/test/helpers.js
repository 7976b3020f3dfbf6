// Test helpers: a fake issuer for unit tests and a real Sallyport binary
// for the integration tests.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');

/** newKey makes a signing key with its public JWK. */
export async function newKey(kid, alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

/** listen starts handler on a free loopback port and returns its URL. */
export function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close(), server });
    });
  });
}

/**
 * startFakeIssuer plays a Sallyport server: discovery, key set and
 * revocation feed, with switches for the tests.
 */
export async function startFakeIssuer(keys) {
  const is = {
    keys,
    credential: 'svc_test',
    revocations: [],
    feedDown: false,
    jwksHits: 0,
    feedHits: 0,
    since: [],
  };
  const srv = await listen((req, res) => {
    const u = new URL(req.url, 'http://x');
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/.well-known/openid-configuration') {
      return send(200, { issuer: is.url, jwks_uri: `${is.url}/.well-known/jwks.json` });
    }
    if (u.pathname === '/.well-known/jwks.json') {
      is.jwksHits++;
      return send(200, { keys: is.keys.map((k) => k.jwk) });
    }
    if (u.pathname === '/api/auth/revocations') {
      is.feedHits++;
      if (is.feedDown) return send(503, { error: 'unavailable' });
      if (req.headers.authorization !== `Bearer ${is.credential}`) {
        return send(401, { error: 'invalid_credential' });
      }
      is.since.push(u.searchParams.get('since') ?? '');
      return send(200, {
        revocations: is.revocations,
        cursor: `c${is.since.length}`,
        poll_interval: 1,
      });
    }
    send(404, { error: 'not_found' });
  });
  is.url = srv.url;
  is.close = srv.close;
  return is;
}

/** claimsFor returns valid claims for the fake issuer at now (ms). */
export function claimsFor(is, now = Date.now(), extra = {}) {
  const s = Math.floor(now / 1000);
  return {
    iss: is.url, sub: 'user-1', aud: 'sallyport', exp: s + 900, nbf: s, iat: s,
    jti: 'token-1', sid: 'session-1', role: 'user', email: 'ada@example.com', ...extra,
  };
}

/** sign makes a compact JWT with key, claims and extra header fields. */
export async function sign(key, claims, header = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

/**
 * startSallyport builds cmd/sallyport (or uses SALLYPORT_BIN), starts it on
 * a free loopback port with a fresh data directory, and returns helpers.
 */
export async function startSallyport({ accessTTL = '3s' } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sallyport-express-'));
  let bin = process.env.SALLYPORT_BIN;
  if (!bin) {
    bin = path.join(dir, 'sallyport');
    await run('go', ['build', '-o', bin, './cmd/sallyport'], { cwd: repoRoot });
  }
  const dataDir = path.join(dir, 'data');
  const probe = await listen(() => {});
  const addr = probe.url.slice('http://'.length);
  probe.close();
  await new Promise((r) => probe.server.on('close', r));

  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('SALLYPORT_')),
  );
  const url = `http://${addr}`;
  const child = spawn(bin, ['serve', '--addr', addr, '--public-url', url,
    '--data-dir', dataDir, '--access-ttl', accessTTL], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  const exited = new Promise((r) => child.on('exit', r));

  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`sallyport did not become healthy:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const cli = async (...args) => {
    const { stdout } = await run(bin, [...args, '--data-dir', dataDir], { env });
    return stdout.trim();
  };
  const post = async (p, body, token) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url + p, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    url,
    bin,
    cli,
    post,
    logs: () => logs,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** get calls url with an optional token and returns status, body and header. */
export async function get(url, token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, auth: res.headers.get('www-authenticate') };
}
