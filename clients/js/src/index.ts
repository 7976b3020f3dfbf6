/**
 * @sallyport/client is the browser client for Sallyport: the access token in
 * memory only, the refresh token in an HttpOnly cookie, one refresh for any
 * number of concurrent 401s, and tabs kept in step. React bindings live in
 * "@sallyport/client/react".
 */
export { createClient } from "./client.js";
export type {
  ChannelLike,
  Client,
  ClientOptions,
  Credentials,
  EventSourceLike,
  LockManagerLike,
} from "./client.js";
export { attachToAxios } from "./axios.js";
export type { AxiosLike, AxiosLikeConfig } from "./axios.js";
export { SallyportError } from "./errors.js";
export { loginURL, safeNextPath } from "./next.js";
export type {
  AuthEvents,
  AuthState,
  LogoutScope,
  Session,
  SignOutReason,
  Status,
  TokenResponse,
  User,
} from "./types.js";

export { SESSION_EXPIRED_MESSAGE, isForcedSignOut } from "./notice.js";
