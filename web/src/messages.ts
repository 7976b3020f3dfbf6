import { SallyportError } from "@sallyport/client";

const byCode: Record<string, string> = {
  invalid_credentials: "Wrong email or password.",
  invalid_email: "That does not look like an email address.",
  weak_password: "Choose a password of at least 8 characters.",
  email_taken: "An account with this email already exists. Log in instead.",
  too_many_attempts: "Too many attempts. Wait a little and try again.",
  account_disabled: "This account is disabled.",
  network_error: "The server cannot be reached. Check your connection and try again.",
};

/** errorMessage turns a failed call into a sentence for people. */
export function errorMessage(err: unknown): string {
  if (err instanceof SallyportError) {
    const known = byCode[err.code];
    if (known) return known;
    if (err.status >= 500) return "Something went wrong on the server. Try again.";
    return err.message;
  }
  return "Something went wrong. Try again.";
}
