const probe = "http://sallyport.invalid";

/**
 * safeNextPath turns an untrusted `next` value (from a query string) into a
 * same-origin path such as "/sessions?tab=1", or returns `fallback`.
 *
 * Only a value that starts with a single "/" and stays on the same origin
 * once parsed the way a browser parses it is accepted; so
 * "https://elsewhere.example", "//elsewhere.example", "/\\elsewhere.example",
 * "javascript:..." and the like all give `fallback`. It never returns an
 * open redirect.
 */
export function safeNextPath(next: string | null | undefined, fallback = "/"): string {
  if (typeof next !== "string" || !next.startsWith("/")) return fallback;
  // Control characters are dropped by URL parsers and have tricked
  // redirect checks before ("/\t/evil.example"); refuse them outright.
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;

  let url: URL;
  try {
    url = new URL(next, probe);
  } catch {
    return fallback;
  }
  if (url.origin !== probe) return fallback;

  const path = url.pathname + url.search + url.hash;
  // "/.//evil.example" normalises to "//evil.example": protocol-relative.
  if (!path.startsWith("/") || path.startsWith("//")) return fallback;
  return path;
}

/** loginURL builds "<loginPath>?next=<here>" with `here` made safe first. */
export function loginURL(loginPath: string, here: string): string {
  const login = safeNextPath(loginPath, "/login");
  const next = safeNextPath(here, "/");
  const loginOnly = login.split(/[?#]/, 1)[0];
  const hereOnly = next.split(/[?#]/, 1)[0];
  if (next === "/" || hereOnly === loginOnly) return login;
  const sep = login.includes("?") ? "&" : "?";
  return `${login}${sep}next=${encodeURIComponent(next)}`;
}
