import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from 'jose';

import { MAX_TOKEN_SIZE, requireRole, sallyport, tokenFromRequest } from '../src/index.js';
import { claimsFor, newKey, sign, startFakeIssuer } from './helpers.js';

const enc = (s) => Buffer.from(s).toString('base64url');

/** codeOf returns the SallyportError code verify rejects with, or 'ok'. */
async function codeOf(auth, token) {
  try {
    await auth.verify(token);
    return 'ok';
  } catch (err) {
    return err.code ?? `unexpected ${err}`;
  }
}

/** fakeRes records what writeError writes. */
function fakeRes() {
  return {
    headers: {},
    statusCode: 200,
    body: '',
    setHeader(k, v) { this.headers[k.toLowerCase()] = v; },
    end(b) { this.body = b ?? ''; },
  };
}

describe('verify', () => {
  let is, good, ed, rsa, stranger, auth;

  before(async () => {
    good = await newKey('good', 'ES256');
    ed = await newKey('ed', 'EdDSA');
    rsa = await newKey('rsa', 'RS256');
    stranger = await newKey('stranger', 'ES256');
    is = await startFakeIssuer([good, ed, rsa]);
    auth = await sallyport({ issuer: is.url, keyRefetchInterval: 3600000 });
  });
  after(() => is.close());

  test('valid tokens of each algorithm', async () => {
    for (const key of [good, ed, rsa]) {
      const claims = await auth.verify(await sign(key, claimsFor(is)));
      assert.equal(claims.sub, 'user-1', key.alg);
      assert.equal(claims.sid, 'session-1', key.alg);
      assert.equal(claims.role, 'user', key.alg);
      assert.ok(Object.isFrozen(claims), 'claims are frozen');
    }
  });

  test('hostile tokens', async () => {
    const now = Date.now();
    const s = Math.floor(now / 1000);
    const valid = await sign(good, claimsFor(is));
    const [h, p, sig] = valid.split('.');
    const hmacWithPub = await new SignJWT(claimsFor(is))
      .setProtectedHeader({ alg: 'HS256', kid: 'good' })
      .sign(new TextEncoder().encode(JSON.stringify(good.jwk)));
    const none = new UnsecuredJWT(claimsFor(is)).encode();
    const noneWithKid = `${enc(JSON.stringify({ alg: 'none', kid: 'good' }))}.${p}.`;
    const otherGood = { ...(await newKey('good', 'ES256')) }; // same kid, unpublished
    const edAsGood = { ...ed, kid: 'good' }; // EdDSA token naming the ES256 key
    // The published RSA key's own private half, used for PS256 instead of RS256.
    const rsaJwk = await exportJWK(rsa.privateKey);
    const rsaAsPS = { kid: 'rsa', alg: 'PS256',
      privateKey: await importJWK({ ...rsaJwk, alg: 'PS256' }, 'PS256') };
    const { privateKey: rsaPriv } = await generateKeyPair('RS256');
    const tamper = `${h}.${enc(JSON.stringify(claimsFor(is, now, { role: 'admin' })))}.${sig}`;

    const rows = [
      ['empty', '', 'token_missing'],
      ['garbage', 'not a token', 'token_invalid'],
      ['two parts', `${h}.${p}`, 'token_invalid'],
      ['valid with padding appended', `${valid}==`, 'token_invalid'],
      ['valid with a space inside', `${h}.${p} .${sig}`, 'token_invalid'],
      ['alg none', none, 'token_invalid'],
      ['alg none with kid', noneWithKid, 'token_invalid'],
      ['HS256 keyed with the public JWK', hmacWithPub, 'token_invalid'],
      ['EdDSA token naming the ES256 key', await sign(edAsGood, claimsFor(is)),
        'token_invalid'],
      ['PS256 with the RS256 key', await sign(rsaAsPS, claimsFor(is)), 'token_invalid'],
      ['RS256 with another RSA key', await sign({ kid: 'rsa', alg: 'RS256',
        privateKey: rsaPriv }, claimsFor(is)), 'token_invalid'],
      ['known kid, other key', await sign(otherGood, claimsFor(is)), 'token_invalid'],
      ['unknown kid', await sign(stranger, claimsFor(is)), 'token_invalid'],
      ['no kid', await sign(good, claimsFor(is), { kid: undefined }), 'token_invalid'],
      ['embedded jwk', await sign(stranger, claimsFor(is), { kid: 'good', jwk: stranger.jwk }),
        'token_invalid'],
      ['jku', await sign(good, claimsFor(is), { jku: 'http://127.0.0.1:1/jwks' }),
        'token_invalid'],
      ['x5u', await sign(good, claimsFor(is), { x5u: 'http://127.0.0.1:1/c' }),
        'token_invalid'],
      ['x5c', await sign(good, claimsFor(is), { x5c: ['MIIB'] }), 'token_invalid'],
      ['tampered payload', tamper, 'token_invalid'],
      ['signature cut', `${h}.${p}.`, 'token_invalid'],
      ['oversized', await sign(good, claimsFor(is, now, { pad: 'a'.repeat(MAX_TOKEN_SIZE) })),
        'token_invalid'],
      ['wrong issuer', await sign(good, claimsFor(is, now, { iss: 'http://127.0.0.1:1' })),
        'token_invalid'],
      ['wrong audience', await sign(good, claimsFor(is, now, { aud: 'other' })),
        'token_invalid'],
      ['no exp', await sign(good, claimsFor(is, now, { exp: undefined })), 'token_invalid'],
      ['no sid', await sign(good, claimsFor(is, now, { sid: undefined })), 'token_invalid'],
      ['no sub', await sign(good, claimsFor(is, now, { sub: undefined })), 'token_invalid'],
      ['nbf in the future', await sign(good, claimsFor(is, now, { nbf: s + 3600 })),
        'token_invalid'],
      ['iat in the future', await sign(good, claimsFor(is, now, { iat: s + 3600 })),
        'token_invalid'],
      ['expired', await sign(good, claimsFor(is, now, { exp: s - 3600 })), 'token_expired'],
      ['expired and forged', await sign(stranger, claimsFor(is, now, { exp: s - 3600 }),
        { kid: 'good' }), 'token_invalid'],
      ['expired within the tolerance', await sign(good, claimsFor(is, now, { exp: s - 5 })),
        'ok'],
    ];
    for (const [name, token, want] of rows) {
      assert.equal(await codeOf(auth, token), want, name);
    }
  });

  test('forged kids cause no key set fetches within the interval', async () => {
    const before = is.jwksHits;
    for (let i = 0; i < 10; i++) {
      const k = await newKey(`forged-${i}`);
      assert.equal(await codeOf(auth, await sign(k, claimsFor(is))), 'token_invalid');
    }
    assert.equal(is.jwksHits, before);
  });
});

describe('key rotation and cache', () => {
  test('a new kid is fetched; a removed key drops cached tokens', async () => {
    const old = await newKey('old');
    const next = await newKey('next');
    const is = await startFakeIssuer([old]);
    let now = Date.now();
    const auth = await sallyport({ issuer: is.url, keyRefetchInterval: 0, now: () => now });
    try {
      const oldToken = await sign(old, claimsFor(is, now));
      assert.equal(await codeOf(auth, oldToken), 'ok');

      is.keys = [next, old];
      assert.equal(await codeOf(auth, await sign(next, claimsFor(is, now))), 'ok');
      assert.equal(is.jwksHits, 2, 'fetches after a new kid');
      assert.equal(await codeOf(auth, oldToken), 'ok', 'old key still verifies');

      is.keys = [next];
      now += 1000;
      const stranger = await newKey('stranger');
      await codeOf(auth, await sign(stranger, claimsFor(is, now))); // makes it refetch
      assert.equal(await codeOf(auth, oldToken), 'token_invalid', 'removed key');
    } finally {
      auth.close();
      is.close();
    }
  });

  test('a cached token never outlives exp', async () => {
    const k = await newKey('k');
    const is = await startFakeIssuer([k]);
    let now = Date.now();
    const auth = await sallyport({ issuer: is.url, clockTolerance: 1, now: () => now });
    try {
      const s = Math.floor(now / 1000);
      const token = await sign(k, claimsFor(is, now, { exp: s + 60 }));
      assert.equal(await codeOf(auth, token), 'ok');
      now = (s + 60) * 1000 + 500; // past exp, within the tolerance
      assert.equal(await codeOf(auth, token), 'ok');
      now = (s + 61) * 1000;
      assert.equal(await codeOf(auth, token), 'token_expired');
    } finally {
      is.close();
    }
  });
});

describe('revocation feed', () => {
  test('revokes cached tokens, fails closed after the grace period, recovers', async () => {
    const k = await newKey('k');
    const is = await startFakeIssuer([k]);
    is.revocations = [{ session_id: 's-old', revoked_at: 1, until: Date.now() / 1000 + 600 }];
    let now = Date.now();
    const errors = [];
    const auth = await sallyport({
      issuer: is.url,
      now: () => now,
      revocationFeed: { credential: is.credential, interval: 3600000, grace: 5000 },
      onError: (e) => errors.push(e),
    });
    try {
      const old = await sign(k, claimsFor(is, now, { sid: 's-old' }));
      assert.equal(await codeOf(auth, old), 'session_revoked', 'revoked before start');

      const token = await sign(k, claimsFor(is, now, { sid: 's1' }));
      assert.equal(await codeOf(auth, token), 'ok');
      is.revocations.push({ session_id: 's1', revoked_at: 1, until: now / 1000 + 600 });
      assert.equal(await codeOf(auth, token), 'ok', 'before the next poll');
      // The poller runs hourly here; poll by hand.
      await auth.pollRevocations();
      assert.equal(await codeOf(auth, token), 'session_revoked', 'after the poll');
      assert.deepEqual(is.since.slice(0, 2), ['', 'c1']);

      const other = await sign(k, claimsFor(is, now, { sid: 's2' }));
      is.feedDown = true;
      now += 5000;
      assert.equal(await codeOf(auth, other), 'ok', 'at the end of the grace period');
      now += 1000;
      assert.equal(await codeOf(auth, other), 'unavailable', 'after the grace period');
      assert.equal(await codeOf(auth, 'junk'), 'token_invalid', 'invalid stays invalid');

      is.feedDown = false;
      await auth.pollRevocations();
      assert.equal(await codeOf(auth, other), 'ok', 'after recovery');
    } finally {
      auth.close();
      is.close();
    }
  });

  test('fail open keeps accepting tokens', async () => {
    const k = await newKey('k');
    const is = await startFakeIssuer([k]);
    let now = Date.now();
    const auth = await sallyport({
      issuer: is.url,
      now: () => now,
      revocationFeed: { credential: is.credential, interval: 3600000, failOpen: true },
    });
    try {
      now += 3600000;
      const token = await sign(k, claimsFor(is, now));
      assert.equal(await codeOf(auth, token), 'ok');
    } finally {
      auth.close();
      is.close();
    }
  });

  test('the poller polls until close', async () => {
    const k = await newKey('k');
    const is = await startFakeIssuer([k]);
    const auth = await sallyport({
      issuer: is.url,
      revocationFeed: { credential: is.credential, interval: 10 },
    });
    try {
      while (is.feedHits < 4) await new Promise((r) => setTimeout(r, 5));
    } finally {
      auth.close();
    }
    const hits = is.feedHits;
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(is.feedHits <= hits + 1, `polls after close: ${is.feedHits - hits}`);
    is.close();
  });

  test('a bad credential fails at start', async () => {
    const k = await newKey('k');
    const is = await startFakeIssuer([k]);
    try {
      await assert.rejects(
        sallyport({ issuer: is.url, revocationFeed: { credential: 'wrong' } }),
        /refused the service credential/,
      );
    } finally {
      is.close();
    }
  });
});

describe('middleware', () => {
  let is, k, auth;
  before(async () => {
    k = await newKey('k');
    is = await startFakeIssuer([k]);
    auth = await sallyport({ issuer: is.url });
  });
  after(() => is.close());

  const run = async (mw, req) => {
    const res = fakeRes();
    let called = false;
    await mw(req, res, () => { called = true; });
    return { res, called };
  };

  test('tokenFromRequest', () => {
    const rows = [
      ['Bearer abc', 'abc'], ['bearer abc', 'abc'], ['abc', 'abc'], ['  BEARER   abc ', 'abc'],
      ['', ''], ['Bearer ', ''],
    ];
    for (const [header, want] of rows) {
      assert.equal(tokenFromRequest({ headers: { authorization: header } }), want, header);
    }
    assert.equal(tokenFromRequest({ headers: {} }), '');
  });

  test('the 401 contract', async () => {
    const s = Math.floor(Date.now() / 1000);
    const expired = await sign(k, claimsFor(is, Date.now(), { exp: s - 3600 }));
    const rows = [
      ['missing', undefined, 'token_missing', 'an access token is required',
        'Bearer realm="sallyport"'],
      ['expired', `Bearer ${expired}`, 'token_expired', 'access token expired',
        'Bearer realm="sallyport", error="invalid_token", ' +
        'error_description="access token expired"'],
      ['invalid', 'Bearer x.y.z', 'token_invalid', 'access token is invalid',
        'Bearer realm="sallyport", error="invalid_token", ' +
        'error_description="access token is invalid"'],
    ];
    for (const [name, header, code, message, challenge] of rows) {
      const { res, called } = await run(auth, { headers: { authorization: header } });
      assert.equal(called, false, name);
      assert.equal(res.statusCode, 401, name);
      assert.equal(res.headers['www-authenticate'], challenge, name);
      assert.equal(res.headers['content-type'], 'application/json', name);
      assert.deepEqual(JSON.parse(res.body), { error: code, message }, name);
    }
  });

  test('req.auth and requireRole', async () => {
    const req = { headers: { authorization: `Bearer ${await sign(k, claimsFor(is))}` } };
    const { called } = await run(auth, req);
    assert.equal(called, true);
    assert.equal(req.auth.sub, 'user-1');

    const admin = requireRole('admin');
    const denied = await run(admin, req);
    assert.equal(denied.called, false);
    assert.equal(denied.res.statusCode, 403);
    assert.deepEqual(JSON.parse(denied.res.body), { error: 'forbidden', message: 'not allowed' });
    assert.equal((await run(requireRole('admin', 'user'), req)).called, true);
    assert.equal((await run(admin, { headers: {} })).res.statusCode, 401);
  });
});
