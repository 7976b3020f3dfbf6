// The example Express API against a real Sallyport binary: a real token
// opens the protected route, a user is refused the admin route, a logout
// reaches the API through the revocation feed within five seconds, and an
// expired token is refused as expired.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createApp } from '../../../examples/express-api/app.js';
import { get, listen, startSallyport } from './helpers.js';

const password = 'correct horse battery';
let sp, api, strictApi, closers = [];

async function serve(options) {
  const { app, auth } = await createApp(options);
  const srv = await listen(app);
  closers.push(() => { auth.close(); srv.close(); });
  return srv.url;
}

before(async () => {
  sp = await startSallyport({ accessTTL: '3s' });
  const credential = await sp.cli('service', 'create', 'express-test');
  assert.ok(credential.length >= 20, `service create printed ${JSON.stringify(credential)}`);
  // The default tolerance of 30 s keeps the 3 s tokens valid for the
  // revocation checks; a second app without tolerance sees them expire.
  api = await serve({ issuer: sp.url, revocationFeed: { credential, interval: 500 } });
  strictApi = await serve({ issuer: sp.url, clockTolerance: 0 });
});

after(async () => {
  for (const close of closers) close();
  if (sp) await sp.stop();
});

async function signup(email) {
  const r = await sp.post('/api/auth/signup', { email, password });
  assert.equal(r.status, 201, `signup ${email}: ${JSON.stringify(r.body)}`);
  return r.body;
}

test('public, protected and admin routes', async () => {
  const user = await signup('user@example.com');
  await signup('boss@example.com');
  await sp.cli('user', 'set-role', '--email', 'boss@example.com', '--role', 'admin');
  const login = await sp.post('/api/auth/login', { email: 'boss@example.com', password });
  assert.equal(login.status, 200);
  const boss = login.body;

  assert.equal((await get(`${api}/api/public`)).status, 200);

  const missing = await get(`${api}/api/private`);
  assert.equal(missing.status, 401);
  assert.equal(missing.body.error, 'token_missing');
  assert.equal(missing.auth, 'Bearer realm="sallyport"');

  const ok = await get(`${api}/api/private`, user.access_token);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.user, user.user.id);
  assert.equal(ok.body.role, 'user');

  const forged = await get(`${api}/api/private`, `${user.access_token.slice(0, -4)}AAAA`);
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error, 'token_invalid');

  const denied = await get(`${api}/api/admin`, user.access_token);
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.body, { error: 'forbidden', message: 'not allowed' });
  assert.equal((await get(`${api}/api/admin`, boss.access_token)).status, 200);

  // Logout reaches the API within 5 s.
  const out = await sp.post('/api/auth/logout', {}, boss.access_token);
  assert.equal(out.status, 204);
  const start = Date.now();
  for (;;) {
    const r = await get(`${api}/api/private`, boss.access_token);
    if (r.status === 401) {
      assert.equal(r.body.error, 'session_revoked');
      break;
    }
    assert.ok(Date.now() - start < 5000, `still accepted 5 s after logout: ${r.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal((await get(`${api}/api/private`, user.access_token)).status, 200,
    'the other session is untouched');

  // Wait out the token's lifetime; exp is in whole seconds.
  await new Promise((res) => setTimeout(res, (user.expires_at + 1) * 1000 - Date.now()));
  const expired = await get(`${strictApi}/api/private`, user.access_token);
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error, 'token_expired');
  assert.equal(expired.auth, 'Bearer realm="sallyport", error="invalid_token", ' +
    'error_description="access token expired"');
});
