/**
 * SallyportError is thrown by every client call that fails. `code` is the
 * server's stable error code ("invalid_credentials", "token_expired", ...),
 * or "network_error" when no answer came back, or "bad_response" when the
 * answer was not the JSON the API promises.
 */
export class SallyportError extends Error {
  /** HTTP status of the answer; 0 when there was none. */
  readonly status: number;
  /** Stable, machine-readable error code. */
  readonly code: string;
  /** Seconds to wait before trying again, from a `Retry-After` header. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "SallyportError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** Whether the failure is temporary: no answer, 429 or a 5xx. */
  get temporary(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** errorFromResponse reads the API's `{error, message}` body from a failed answer. */
export async function errorFromResponse(res: Response): Promise<SallyportError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `request failed with status ${res.status}`;
  try {
    const body: unknown = await res.clone().json();
    if (isRecord(body) && typeof body.error === "string") {
      code = body.error;
      if (typeof body.message === "string") message = body.message;
    }
  } catch {
    // Not JSON: keep the generic code.
  }
  return new SallyportError(res.status, code, message, parseRetryAfter(res.headers.get("Retry-After")));
}

/** networkError wraps a failed `fetch` (no answer at all). */
export function networkError(cause: unknown): SallyportError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SallyportError(0, "network_error", `network error: ${detail}`);
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, (date - Date.now()) / 1000);
}

/** isRecord reports whether v is a plain JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
