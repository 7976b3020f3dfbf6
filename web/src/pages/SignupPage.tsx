import { useState, type FormEvent } from "react";
import { Link, Navigate, useSearchParams } from "react-router";
import { safeNextPath } from "@sallyport/client";
import { useAuth } from "@sallyport/client/react";
import { AuthCard } from "../Layout";
import { errorMessage } from "../messages";

const minLength = 8;

/** SignupPage creates an account, signs in and goes on to `next`. */
export function SignupPage() {
  const auth = useAuth();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (auth.status === "authenticated") return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password.length < minLength) {
      setError(`Choose a password of at least ${minLength} characters.`);
      return;
    }
    if (password !== confirm) {
      setError("The passwords do not match.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await auth.signUp({ email: email.trim(), password });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const loginLink = next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
  return (
    <AuthCard title="Create your account">
      <form onSubmit={submit}>
        <label htmlFor="signup-email">Email</label>
        <input
          id="signup-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="signup-password">Password</label>
        <input
          id="signup-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={minLength}
          aria-describedby="signup-password-hint"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p id="signup-password-hint" className="hint">
          At least {minLength} characters. A few unrelated words make a strong one.
        </p>
        <label htmlFor="signup-confirm">Confirm password</label>
        <input
          id="signup-confirm"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
        {error && (
          <p className="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign up
        </button>
      </form>
      <p className="switch">
        Already have an account? <Link to={loginLink}>Log in</Link>
      </p>
    </AuthCard>
  );
}
