import type { Client } from "./client.js";

/** AxiosLikeConfig is the part of an axios request config the helper touches. */
export interface AxiosLikeConfig {
  url?: string;
  baseURL?: string;
  headers?: unknown;
  [key: string]: unknown;
}

/** AxiosLike is the part of an axios instance the helper needs. */
export interface AxiosLike {
  interceptors: {
    request: {
      use(onFulfilled: (c: AxiosLikeConfig) => Promise<AxiosLikeConfig>): number;
      eject(id: number): void;
    };
    response: {
      use(onFulfilled: (r: unknown) => unknown, onRejected: (e: unknown) => unknown): number;
      eject(id: number): void;
    };
  };
  request(config: AxiosLikeConfig): Promise<unknown>;
}

const retried = "__sallyportRetried";
const sentWith = "__sallyportToken";

/**
 * attachToAxios adds the access token to an axios instance's requests and,
 * on `401 token_expired`, refreshes once (shared with every other caller)
 * and replays the request once. It returns a function that removes both
 * interceptors. It needs no axios import: pass your instance.
 */
export function attachToAxios(instance: AxiosLike, client: Client): () => void {
  const req = instance.interceptors.request.use(async (config) => {
    const target = joinURL(config.baseURL, config.url);
    if (!client.shouldAttachToken(target)) return config;
    const token = await client.getAccessToken();
    config[sentWith] = token;
    if (token) setHeader(config, `Bearer ${token}`);
    return config;
  });

  const res = instance.interceptors.response.use(
    (r) => r,
    async (error: unknown) => {
      const e = error as { config?: AxiosLikeConfig; response?: { status?: number; data?: unknown } };
      const config = e.config;
      const code = (e.response?.data as { error?: unknown } | undefined)?.error;
      const expired = code === "token_expired" || code === "token_invalid";
      if (!config || e.response?.status !== 401 || !expired || config[retried]) throw error;
      const used = (config[sentWith] as string | null | undefined) ?? null;
      const fresh = await client.renewAfter401(used);
      if (!fresh || fresh === used) throw error;
      config[retried] = true;
      return instance.request(config);
    },
  );

  return () => {
    instance.interceptors.request.eject(req);
    instance.interceptors.response.eject(res);
  };
}

function joinURL(base: string | undefined, path: string | undefined): string {
  const p = path ?? "";
  if (!base || /^[a-z][a-z0-9+.-]*:/i.test(p)) return p;
  return base.replace(/\/+$/, "") + "/" + p.replace(/^\/+/, "");
}

function setHeader(config: AxiosLikeConfig, value: string): void {
  const h = config.headers as { set?: (k: string, v: string) => void } | Record<string, string> | undefined;
  if (h && typeof (h as { set?: unknown }).set === "function") {
    (h as { set: (k: string, v: string) => void }).set("Authorization", value);
    return;
  }
  config.headers = { ...((h as Record<string, string>) ?? {}), Authorization: value };
}
