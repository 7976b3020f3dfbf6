import type { ChannelLike } from "../src/client.js";

/** Call is one request the fake server saw. */
export interface Call {
  url: string;
  path: string;
  method: string;
  headers: Headers;
  body: string | null;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export const user = { id: "u1", email: "ada@example.com", role: "user", created_at: "2025-01-01T00:00:00Z" };

/** tokenResponse builds a token response body for access token `token`. */
export function tokenResponse(token: string, expiresIn = 900, status = 200): Response {
  return json(status, {
    access_token: token,
    token,
    token_type: "Bearer",
    expires_in: expiresIn,
    expires_at: Math.floor(Date.now() / 1000) + expiresIn,
    user,
  });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function apiError(status: number, code: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: code, message: code.replace(/_/g, " ") }, headers);
}

/** Deferred is a promise with its resolve function exposed. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * FakeServer records every call and answers through per-path handlers.
 * Unhandled paths answer 404.
 */
export class FakeServer {
  calls: Call[] = [];
  routes = new Map<string, Handler>();

  on(methodAndPath: string, handler: Handler): this {
    this.routes.set(methodAndPath, handler);
    return this;
  }

  count(methodAndPath: string): number {
    return this.calls.filter((c) => `${c.method} ${c.path}` === methodAndPath).length;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const req = input instanceof Request ? input : null;
    const url = req ? req.url : String(input);
    const headers = new Headers(init.headers ?? req?.headers);
    const method = (init.method ?? req?.method ?? "GET").toUpperCase();
    const body = typeof init.body === "string" ? init.body : null;
    const path = new URL(url, "http://app.test").pathname;
    const call: Call = { url, path, method, headers, body };
    this.calls.push(call);
    const handler = this.routes.get(`${method} ${path}`);
    if (!handler) return apiError(404, "not_found");
    return handler(call);
  };
}

/** Bus is an in-memory BroadcastChannel: delivery is asynchronous, never to the sender. */
export class Bus {
  private members = new Set<{ deliver(data: unknown): void }>();

  open = (_name: string): ChannelLike => {
    const listeners: ((e: { data: unknown }) => void)[] = [];
    const member = {
      deliver: (data: unknown) => {
        for (const l of listeners) l({ data: structuredClone(data) });
      },
    };
    this.members.add(member);
    return {
      postMessage: (data) => {
        for (const m of this.members) if (m !== member) queueMicrotask(() => m.deliver(data));
      },
      addEventListener: (_type, l) => listeners.push(l),
      close: () => this.members.delete(member),
    };
  };
}

/** bearer returns the token in a call's Authorization header, or null. */
export function bearer(call: Call): string | null {
  const h = call.headers.get("Authorization");
  return h?.startsWith("Bearer ") ? h.slice(7) : null;
}
