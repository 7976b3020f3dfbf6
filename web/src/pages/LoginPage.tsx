import { useState, type FormEvent } from "react";
import { Link, Navigate, useSearchParams } from "react-router";
import { safeNextPath } from "@sallyport/client";
import { SessionExpiredNotice, useAuth } from "@sallyport/client/react";
import { AuthCard } from "../Layout";
import { errorMessage } from "../messages";

/** LoginPage signs a user in and then goes to the (same-origin) `next` path. */
export function LoginPage() {
  const auth = useAuth();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Signed in here or in another tab: go on to where the user was headed.
  if (auth.status === "authenticated") return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.logIn({ email: email.trim(), password });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const signupLink = next === "/" ? "/signup" : `/signup?next=${encodeURIComponent(next)}`;
  return (
    <AuthCard title="Log in">
      <SessionExpiredNotice className="notice warning" />
      {auth.signOutReason === "other_tab" && (
        <p className="notice info" role="status">
          You logged out in another tab.
        </p>
      )}
      <form onSubmit={submit} noValidate={false}>
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p className="switch">
        No account yet? <Link to={signupLink}>Sign up</Link>
      </p>
    </AuthCard>
  );
}
