import { useEffect, useState } from "react";
import { useAuth } from "@sallyport/client/react";
import { formatCountdown, formatTime } from "../format";
import { errorMessage } from "../messages";

/** HomePage is the protected page: who is signed in and for how long. */
export function HomePage() {
  const auth = useAuth();
  const [check, setCheck] = useState<string | null>(null);
  const user = auth.user;
  if (!user) return null;

  async function checkSession() {
    try {
      const me = await auth.me();
      setCheck(`Session verified with the server for ${me.email}.`);
    } catch (err) {
      setCheck(errorMessage(err));
    }
  }

  return (
    <>
      <h1>Welcome</h1>
      <section className="card">
        <p className="lead">
          Signed in as <strong data-testid="email">{user.email}</strong>
        </p>
        <dl className="facts">
          <div>
            <dt>Role</dt>
            <dd data-testid="role">{user.role}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>{formatTime(user.created_at)}</dd>
          </div>
          <div>
            <dt>Access token expires in</dt>
            <dd>
              <Countdown until={auth.expiresAt} />
            </dd>
          </div>
        </dl>
        <p className="hint">
          The token is renewed in the background before it expires; the countdown starts over
          when it is.
        </p>
        <div className="actions">
          <button type="button" onClick={checkSession}>
            Check session
          </button>
        </div>
        {check && (
          <p className="notice info" role="status">
            {check}
          </p>
        )}
      </section>
    </>
  );
}

/** Countdown shows the time left until `until`, updated every second. */
function Countdown({ until }: { until: number | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  if (until === null) return <span>unknown</span>;
  return (
    <span className="countdown" data-testid="countdown">
      {formatCountdown(until - now)}
    </span>
  );
}
