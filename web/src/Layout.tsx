import { useState, type ReactNode } from "react";
import { NavLink, useNavigate } from "react-router";
import { useAuth } from "@sallyport/client/react";

/** Layout is the frame of every protected page: brand, navigation, Log out. */
export function Layout({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);

  async function logOut() {
    setBusy(true);
    await auth.logOut("local");
    navigate("/login", { replace: true });
  }

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          Sallyport
        </span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Home
          </NavLink>
          <NavLink to="/sessions">Sessions</NavLink>
        </nav>
        <button type="button" className="secondary" onClick={logOut} disabled={busy}>
          Log out
        </button>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}

/** AuthCard is the centred frame of the login and signup pages. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="card auth-card">
        <p className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          Sallyport
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
