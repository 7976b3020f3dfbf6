import { describe, expect, it } from "vitest";
import { loginURL, safeNextPath } from "../src/next.js";

describe("safeNextPath", () => {
  const cases: [string, string | null | undefined, string][] = [
    ["plain path", "/sessions", "/sessions"],
    ["query and hash kept", "/a/b?x=1#top", "/a/b?x=1#top"],
    ["missing", null, "/"],
    ["empty", "", "/"],
    ["absolute URL", "https://elsewhere.example", "/"],
    ["absolute URL with path", "https://elsewhere.example/login", "/"],
    ["protocol-relative", "//elsewhere.example", "/"],
    ["protocol-relative with path", "//elsewhere.example/x", "/"],
    ["backslash", "/\\elsewhere.example", "/"],
    ["backslashes", "\\\\elsewhere.example", "/"],
    ["tab inside", "/\t/elsewhere.example", "/"],
    ["newline inside", "/\n/elsewhere.example", "/"],
    ["dot segment to protocol-relative", "/.//elsewhere.example", "/"],
    ["javascript URL", "javascript:alert(1)", "/"],
    ["data URL", "data:text/html,hi", "/"],
    ["relative path", "sessions", "/"],
    ["encoded slashes stay a path", "/%2F%2Felsewhere.example", "/%2F%2Felsewhere.example"],
    ["dot segments resolved", "/a/../sessions", "/sessions"],
    ["credentials trick", "/@elsewhere.example", "/@elsewhere.example"],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      expect(safeNextPath(input)).toBe(want);
    });
  }

  it("uses the given fallback", () => {
    expect(safeNextPath("https://x.example", "/home")).toBe("/home");
  });
});

describe("loginURL", () => {
  it.each([
    ["/login", "/sessions", "/login?next=%2Fsessions"],
    ["/login", "/", "/login"],
    ["/login", "/login?next=%2Fx", "/login"],
    ["/login", "/a?b=1#c", "/login?next=%2Fa%3Fb%3D1%23c"],
    ["https://elsewhere.example/login", "/x", "/login?next=%2Fx"],
    ["/signin?theme=dark", "/x", "/signin?theme=dark&next=%2Fx"],
  ])("loginURL(%s, %s) = %s", (login, here, want) => {
    expect(loginURL(login, here)).toBe(want);
  });
});
