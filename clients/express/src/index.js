// @sallyport/express verifies Sallyport access tokens in Express (or any
// node:http) servers. See README.md for the behaviour and the options.
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
} from 'jose';

import { SallyportError, writeError } from './errors.js';
import { Feed } from './feed.js';

export { SallyportError, writeError } from './errors.js';
export { DEFAULT_FEED_GRACE, DEFAULT_FEED_INTERVAL } from './feed.js';

/** Tokens longer than this many bytes are refused without being parsed. */
export const MAX_TOKEN_SIZE = 8192;
export const DEFAULT_AUDIENCE = 'sallyport';
export const DEFAULT_CLOCK_TOLERANCE = 30; // seconds
export const DEFAULT_CACHE_SIZE = 10000;
export const DEFAULT_KEY_REFETCH_INTERVAL = 1000; // ms

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The accepted algorithms. HMAC and none are absent on purpose: a public key
 * must never be usable as a shared secret. Each token is further pinned to
 * the alg of the key its kid names.
 */
export const ALGORITHMS = Object.freeze([
  'ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
]);

// Header parameters that would bring key material or processing rules
// from the token itself; Sallyport never issues them.
const REFUSED_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];
const REQUIRED_CLAIMS = ['exp', 'iss', 'aud', 'sub', 'sid'];
const MAX_DOC_SIZE = 1 << 20;

/**
 * tokenFromRequest returns the access token of the Authorization header:
 * its value without a "Bearer " prefix (any case), or the whole value when
 * it has none, trimmed of spaces. As on the server.
 */
export function tokenFromRequest(req) {
  let v = String(req.headers?.authorization ?? '').trim();
  if (v.toLowerCase() === 'bearer') return ''; // the scheme alone: no token, as on the server
  if (v.length > 7 && v.slice(0, 7).toLowerCase() === 'bearer ') v = v.slice(7).trim();
  return v;
}

/**
 * sallyport reads the issuer's discovery document and key set (and, with
 * revocationFeed, polls the feed once), then returns an Express middleware
 * that verifies the request's access token, puts its claims in req.auth and
 * calls next(), or answers with Sallyport's 401 contract. The middleware also
 * has verify(token) -> Promise<claims> and close(), which stops the feed
 * poller. It rejects when the issuer cannot be read or refuses the
 * credential.
 */
export async function sallyport(options = {}) {
  const cfg = settings(options);
  const jwksUri = await discover(cfg);
  const keys = new KeyTracker();
  const jwks = createRemoteJWKSet(new URL(jwksUri), {
    cooldownDuration: cfg.keyRefetchInterval,
    timeoutDuration: cfg.timeout,
    [customFetch]: keys.wrap(cfg.fetch),
  });
  await jwks.reload();

  const cache = new TokenCache(cfg.cacheSize);
  let feed = null;
  if (cfg.revocationFeed) {
    const f = cfg.revocationFeed;
    feed = new Feed({
      url: `${cfg.issuer}/api/auth/revocations`,
      credential: f.credential,
      interval: f.interval,
      grace: f.grace,
      failOpen: f.failOpen,
      toleranceMs: cfg.toleranceMs,
      fetch: cfg.fetch,
      timeout: cfg.timeout,
      onError: cfg.onError,
      now: cfg.now,
    });
    await feed.poll();
    feed.start();
  }

  async function verify(token) {
    if (!token) throw new SallyportError('token_missing');
    if (token.length > MAX_TOKEN_SIZE) {
      throw new SallyportError('token_invalid', `token longer than ${MAX_TOKEN_SIZE} bytes`);
    }
    // Three parts of unpadded base64url, as the server and the Go package
    // demand; jose alone would also take padding and other slack.
    if (!JWT_SHAPE.test(token)) {
      throw new SallyportError('token_invalid', 'not three parts of unpadded base64url');
    }
    const now = cfg.now();
    let entry = cache.get(token);
    if (entry && entry.gen !== keys.gen) entry = undefined;
    if (entry) {
      checkTimes(entry.claims, now, cfg.toleranceMs);
    } else {
      entry = await verifySignature(token, now);
      cache.set(token, entry, (e) => e.gen !== keys.gen || expired(e.claims, now, cfg));
    }
    feed?.check(entry.claims.sid, now);
    return entry.claims;
  }

  async function verifySignature(token, now) {
    const gen = keys.gen;
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch (err) {
      throw new SallyportError('token_invalid', err.message, { cause: err });
    }
    for (const name of REFUSED_HEADERS) {
      if (Object.hasOwn(header, name)) {
        throw new SallyportError('token_invalid', `header "${name}" is not accepted`);
      }
    }
    if (typeof header.kid !== 'string' || !header.kid) {
      throw new SallyportError('token_invalid', 'missing kid');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: cfg.issuer,
        audience: cfg.audience,
        algorithms: ALGORITHMS,
        clockTolerance: cfg.clockTolerance,
        currentDate: new Date(now),
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (err) {
      throw fromJose(err);
    }
    const claims = Object.freeze({ ...payload });
    checkTimes(claims, now, cfg.toleranceMs);
    return { claims, gen };
  }

  const middleware = async function sallyportAuth(req, res, next) {
    let claims;
    try {
      claims = await verify(tokenFromRequest(req));
    } catch (err) {
      writeError(res, err);
      return;
    }
    req.auth = claims;
    next();
  };
  middleware.verify = verify;
  middleware.close = () => feed?.stop();
  middleware.pollRevocations = async () => feed?.poll();
  middleware.issuer = cfg.issuer;
  return middleware;
}

/**
 * requireRole returns a middleware that lets a request through only when
 * req.auth (set by the sallyport middleware, which must run first) has one
 * of roles; otherwise it answers 403 forbidden, or 401 token_missing when
 * there is no req.auth.
 */
export function requireRole(...roles) {
  return function sallyportRole(req, res, next) {
    if (!req.auth) return writeError(res, new SallyportError('token_missing'));
    if (!roles.includes(req.auth.role)) return writeError(res, new SallyportError('forbidden'));
    next();
  };
}

function settings(o) {
  if (typeof o.issuer !== 'string' || !/^https?:\/\//.test(o.issuer)) {
    throw new TypeError('sallyport: issuer must be the http(s) URL of the Sallyport server');
  }
  const clockTolerance = o.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0)) {
    throw new TypeError('sallyport: clockTolerance must be a number of seconds, 0 or more');
  }
  const feed = o.revocationFeed;
  if (feed && (typeof feed.credential !== 'string' || !feed.credential)) {
    throw new TypeError('sallyport: revocationFeed.credential must be a service credential');
  }
  return {
    issuer: o.issuer.replace(/\/+$/, ''),
    audience: o.audience ?? DEFAULT_AUDIENCE,
    clockTolerance,
    toleranceMs: clockTolerance * 1000,
    cacheSize: o.cacheSize ?? DEFAULT_CACHE_SIZE,
    keyRefetchInterval: o.keyRefetchInterval ?? DEFAULT_KEY_REFETCH_INTERVAL,
    timeout: o.timeout ?? 10000,
    revocationFeed: feed
      ? { ...feed, failOpen: Boolean(feed.failOpen ?? o.failOpen) }
      : null,
    onError: typeof o.onError === 'function' ? o.onError : () => {},
    fetch: o.fetch ?? globalThis.fetch,
    now: o.now ?? Date.now,
  };
}

// discover reads the discovery document, checks its issuer and returns the
// key set's URL.
async function discover(cfg) {
  const url = `${cfg.issuer}/.well-known/openid-configuration`;
  const res = await cfg.fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(cfg.timeout),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`sallyport: GET ${url}: status ${res.status}`);
  }
  const doc = JSON.parse(await limitedText(res));
  if (doc.issuer !== cfg.issuer) {
    throw new Error(`sallyport: discovery names issuer ${JSON.stringify(doc.issuer)}, ` +
      `want ${JSON.stringify(cfg.issuer)}`);
  }
  if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
    throw new Error('sallyport: discovery has no http(s) jwks_uri');
  }
  return doc.jwks_uri;
}

async function limitedText(res) {
  const text = await res.text();
  if (text.length > MAX_DOC_SIZE) throw new Error(`document larger than ${MAX_DOC_SIZE} bytes`);
  return text;
}

// fromJose maps a jose error to a SallyportError. jose checks the signature
// before the claims, so JWTExpired means a genuine, expired token.
function fromJose(err) {
  if (err instanceof SallyportError) return err;
  if (err instanceof joseErrors.JWTExpired) {
    return new SallyportError('token_expired', err.message, { cause: err });
  }
  if (err instanceof joseErrors.JWKSTimeout) {
    return new SallyportError('unavailable', err.message, { cause: err });
  }
  return new SallyportError('token_invalid', err.message, { cause: err });
}

function expired(claims, now, cfg) {
  return claims.exp * 1000 + cfg.toleranceMs <= now;
}

// checkTimes checks nbf, iat and exp; expiry last, so that token_expired
// means nothing else is wrong. jose checks exp and nbf too, but not an iat in
// the future, and a cached token needs the checks on every use.
function checkTimes(claims, now, toleranceMs) {
  if (typeof claims.nbf === 'number' && now < claims.nbf * 1000 - toleranceMs) {
    throw new SallyportError('token_invalid', 'not valid yet');
  }
  if (typeof claims.iat === 'number' && now < claims.iat * 1000 - toleranceMs) {
    throw new SallyportError('token_invalid', 'issued in the future');
  }
  if (!(now < claims.exp * 1000 + toleranceMs)) {
    throw new SallyportError('token_expired', `expired at ${claims.exp}`);
  }
}

/**
 * KeyTracker sees every key set jose fetches, so that cached tokens are
 * checked afresh when a key is removed or replaced: gen changes then. Fetch
 * failures come out as SallyportError unavailable.
 */
class KeyTracker {
  gen = 0;
  #keys = new Map(); // kid -> JSON of the key

  wrap(fetchImpl) {
    return async (url, init) => {
      let res;
      try {
        res = await fetchImpl(url, init);
      } catch (cause) {
        throw new SallyportError('unavailable', `fetch key set: ${cause.message}`, { cause });
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new SallyportError('unavailable', `fetch key set: status ${res.status}`);
      }
      let body;
      try {
        body = await limitedText(res);
        this.#update(JSON.parse(body));
      } catch (cause) {
        throw new SallyportError('unavailable', `fetch key set: ${cause.message}`, { cause });
      }
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
  }

  #update(set) {
    const next = new Map();
    for (const k of Array.isArray(set?.keys) ? set.keys : []) {
      if (typeof k?.kid === 'string' && !next.has(k.kid)) next.set(k.kid, JSON.stringify(k));
    }
    for (const [kid, json] of this.#keys) {
      if (next.get(kid) !== json) {
        this.gen++;
        break;
      }
    }
    this.#keys = next;
  }
}

/**
 * TokenCache keeps verified tokens and their claims, at most size of them:
 * the insert that finds it full drops stale entries, then the oldest, until
 * it is three quarters full. Only tokens that passed every check enter.
 */
class TokenCache {
  #size;
  #map = new Map();

  constructor(size) {
    this.#size = size > 0 ? size : 0;
  }

  get size() {
    return this.#map.size;
  }

  get(token) {
    return this.#size ? this.#map.get(token) : undefined;
  }

  set(token, entry, stale) {
    if (!this.#size) return;
    this.#map.set(token, entry);
    if (this.#map.size <= this.#size) return;
    for (const [k, e] of this.#map) {
      if (stale(e)) this.#map.delete(k);
    }
    const target = Math.floor((this.#size * 3) / 4);
    for (const k of this.#map.keys()) {
      if (this.#map.size <= target) break;
      this.#map.delete(k);
    }
  }
}
