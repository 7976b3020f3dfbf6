// The 401/403/503 contract of Sallyport's own endpoints.

/** The answer for each error code: status and public message. */
const RESPONSES = {
  token_missing: [401, 'an access token is required'],
  token_expired: [401, 'access token expired'],
  token_invalid: [401, 'access token is invalid'],
  session_revoked: [401, 'the session has been revoked'],
  forbidden: [403, 'not allowed'],
  unavailable: [503, 'the service is temporarily unavailable'],
};

/**
 * SallyportError is the error verify() rejects with. `code` is one of
 * token_missing, token_expired, token_invalid, session_revoked, forbidden and
 * unavailable; `status` is the HTTP status writeError answers with. The
 * message says why, for logs; the response never includes it.
 */
export class SallyportError extends Error {
  constructor(code, detail, options) {
    super(detail ? `${code}: ${detail}` : code, options);
    this.name = 'SallyportError';
    this.code = RESPONSES[code] ? code : 'token_invalid';
    this.status = RESPONSES[this.code][0];
  }
}

/**
 * writeError answers a refused request the way Sallyport does: status, a
 * JSON body {"error": code, "message": text}, and for 401 a WWW-Authenticate
 * header with error="invalid_token" unless the token was missing (RFC 6750).
 * Errors that are not SallyportErrors count as token_invalid. Works with
 * Express and with plain node:http responses.
 */
export function writeError(res, err) {
  const code = err instanceof SallyportError ? err.code : 'token_invalid';
  const [status, message] = RESPONSES[code];
  if (status === 401) {
    res.setHeader('WWW-Authenticate', challenge(code, message));
  } else if (status === 503) {
    res.setHeader('Retry-After', '1');
  }
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.statusCode = status;
  res.end(JSON.stringify({ error: code, message }) + '\n');
}

function challenge(code, message) {
  if (code === 'token_missing') return 'Bearer realm="sallyport"';
  return `Bearer realm="sallyport", error="invalid_token", error_description=${JSON.stringify(
    message,
  )}`;
}
