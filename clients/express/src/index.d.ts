import type { IncomingMessage, ServerResponse } from 'node:http';

/** The claims of a verified Sallyport access token. */
export interface SallyportClaims {
  readonly iss: string;
  /** The user id. */
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  /** The session id. */
  readonly sid: string;
  readonly role?: string;
  readonly email?: string;
  readonly [claim: string]: unknown;
}

export type ErrorCode =
  | 'token_missing'
  | 'token_expired'
  | 'token_invalid'
  | 'session_revoked'
  | 'forbidden'
  | 'unavailable';

export class SallyportError extends Error {
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown });
  readonly code: ErrorCode;
  readonly status: 401 | 403 | 503;
}

export interface RevocationFeedOptions {
  /** A service credential printed by `sallyport service create NAME`. */
  credential: string;
  /** Poll interval in ms; default: the server's poll_interval, else 2000. */
  interval?: number;
  /** ms after the last successful poll before failing closed; default max(30000, 3 intervals). */
  grace?: number;
  /** Keep accepting valid tokens however long the feed is unreachable. */
  failOpen?: boolean;
}

export interface SallyportOptions {
  /** Sallyport's public URL, the iss of its tokens. */
  issuer: string;
  /** Default "sallyport". */
  audience?: string;
  /** Seconds of clock skew allowed on exp, nbf and iat; default 30. */
  clockTolerance?: number;
  /** Verified tokens kept; default 10000; 0 turns the cache off. */
  cacheSize?: number;
  /** Least ms between key set fetches caused by unknown kids; default 10000. */
  keyRefetchInterval?: number;
  /** Timeout in ms of each request to the issuer; default 10000. */
  timeout?: number;
  revocationFeed?: RevocationFeedOptions;
  /** Receives errors of the background feed poller. */
  onError?: (err: Error) => void;
  /** The fetch implementation; default globalThis.fetch. */
  fetch?: typeof fetch;
}

type Next = (err?: unknown) => void;

export interface SallyportMiddleware {
  (req: IncomingMessage & { auth?: SallyportClaims }, res: ServerResponse, next: Next):
    Promise<void>;
  /** Verifies a bare token; rejects with a SallyportError. */
  verify(token: string): Promise<SallyportClaims>;
  /** Stops the revocation feed poller. */
  close(): void;
  /** Reads the revocation feed now. */
  pollRevocations(): Promise<void>;
  readonly issuer: string;
}

export const MAX_TOKEN_SIZE: number;
export const DEFAULT_AUDIENCE: string;
export const DEFAULT_CLOCK_TOLERANCE: number;
export const DEFAULT_CACHE_SIZE: number;
export const DEFAULT_KEY_REFETCH_INTERVAL: number;
export const DEFAULT_FEED_INTERVAL: number;
export const DEFAULT_FEED_GRACE: number;
export const ALGORITHMS: readonly string[];

export function sallyport(options: SallyportOptions): Promise<SallyportMiddleware>;
export function requireRole(
  ...roles: string[]
): (req: IncomingMessage & { auth?: SallyportClaims }, res: ServerResponse, next: Next) => void;
export function tokenFromRequest(req: { headers?: Record<string, unknown> }): string;
export function writeError(res: ServerResponse, err: unknown): void;

declare global {
  namespace Express {
    interface Request {
      /** Set by the sallyport middleware. */
      auth?: SallyportClaims;
    }
  }
}
