import { Link } from "react-router";
import { AuthCard } from "../Layout";

/** NotFoundPage answers client routes that do not exist. */
export function NotFoundPage() {
  return (
    <AuthCard title="Page not found">
      <p>There is nothing at this address.</p>
      <p className="switch">
        <Link to="/">Go to the start page</Link>
      </p>
    </AuthCard>
  );
}
