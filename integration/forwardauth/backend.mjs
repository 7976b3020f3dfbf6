// A tiny backend for the nginx forward-auth test: it answers every request
// with the identity headers nginx passed on, and guards /api/admin with the
// role header as a real app behind forward auth would.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  const seen = {
    path: req.url,
    user: req.headers['x-sallyport-user'] ?? '',
    role: req.headers['x-sallyport-role'] ?? '',
    session: req.headers['x-sallyport-session'] ?? '',
    email: req.headers['x-sallyport-email'] ?? '',
  };
  res.setHeader('Content-Type', 'application/json');
  if (req.url.startsWith('/api/admin') && seen.role !== 'admin') {
    res.statusCode = 403;
    res.end(JSON.stringify({ error: 'forbidden', message: 'not allowed' }));
    return;
  }
  res.end(JSON.stringify(seen));
}).listen(port, '127.0.0.1', () => console.log(`backend on 127.0.0.1:${port}`));
