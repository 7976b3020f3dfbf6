// The example API: one public route, one for any signed-in user and one for
// admins. createApp is used by server.js and by the tests of
// @sallyport/express.
import express from 'express';
import { requireRole, sallyport } from '@sallyport/express';

/**
 * createApp returns the Express app and its Sallyport middleware (call
 * auth.close() when done). options go to sallyport(): at least issuer, and
 * revocationFeed: { credential, interval } to hear about logouts.
 */
export async function createApp(options) {
  const auth = await sallyport(options);
  const app = express();

  app.get('/api/public', (req, res) => {
    res.json({ message: 'hello, anyone' });
  });

  app.get('/api/private', auth, (req, res) => {
    res.json({
      message: `hello, ${req.auth.email}`,
      user: req.auth.sub,
      role: req.auth.role,
      session: req.auth.sid,
    });
  });

  app.get('/api/admin', auth, requireRole('admin'), (req, res) => {
    res.json({ message: `welcome, admin ${req.auth.email}` });
  });

  return { app, auth };
}
