import type { ReactNode } from "react";
import { Route, Routes, useLocation, useNavigate } from "react-router";
import { RequireAuth } from "@sallyport/client/react";
import { Layout } from "./Layout";
import { HomePage } from "./pages/HomePage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SessionsPage } from "./pages/SessionsPage";
import { SignupPage } from "./pages/SignupPage";

/** App is the route table. The router and the auth provider wrap it. */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/" element={<Protected><HomePage /></Protected>} />
      <Route path="/sessions" element={<Protected><SessionsPage /></Protected>} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

/** Protected shows its page to signed-in users and sends others to /login. */
function Protected({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <RequireAuth
      navigate={navigate}
      location={location}
      fallback={<p className="loading" role="status">Loading…</p>}
    >
      <Layout>{children}</Layout>
    </RequireAuth>
  );
}
