// Runs the example API next to a Sallyport server:
//
//   sallyport service create express-api    # prints a service credential
//   SALLYPORT_ISSUER=http://127.0.0.1:8080 \
//   SALLYPORT_SERVICE_CREDENTIAL=... PORT=3001 node server.js
import { createApp } from './app.js';

const issuer = process.env.SALLYPORT_ISSUER ?? 'http://127.0.0.1:8080';
const credential = process.env.SALLYPORT_SERVICE_CREDENTIAL;
const port = Number(process.env.PORT ?? 3001);

const { app, auth } = await createApp({
  issuer,
  revocationFeed: credential ? { credential, interval: 1000 } : undefined,
  onError: (err) => console.warn('sallyport:', err.message),
});
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`express-api listening on http://127.0.0.1:${port}, issuer ${issuer}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    auth.close();
    server.close();
  });
}
