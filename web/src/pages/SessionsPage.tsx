import { useCallback, useEffect, useState } from "react";
import { useNavigate } from "react-router";
import type { Session } from "@sallyport/client";
import { useAuth } from "@sallyport/client/react";
import { describeAgent, formatTime } from "../format";
import { errorMessage } from "../messages";

/** SessionsPage lists the user's sessions and ends them. */
export function SessionsPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { sessions: listSessions } = auth;

  const load = useCallback(async () => {
    try {
      setSessions(await listSessions());
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [listSessions]);

  useEffect(() => {
    void load();
  }, [load]);

  async function revoke(s: Session) {
    setBusy(true);
    try {
      if (s.current) {
        await auth.logOut("local");
        navigate("/login", { replace: true });
        return;
      }
      await auth.revokeSession(s.id);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function logOutOthers() {
    setBusy(true);
    try {
      await auth.logOut("others");
      await load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function logOutEverywhere() {
    setBusy(true);
    await auth.logOut("global");
    navigate("/login", { replace: true });
  }

  return (
    <>
      <h1>Sessions</h1>
      <p className="hint">Every device or browser where you are signed in.</p>
      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}
      {sessions === null && !error && <p role="status">Loading sessions…</p>}
      {sessions && (
        <ul className="sessions" aria-label="Sessions">
          {sessions.map((s) => (
            <li key={s.id} className={s.current ? "card session current" : "card session"}>
              <div className="session-main">
                <p className="session-title" id={`session-${s.id}`} title={s.user_agent}>
                  {describeAgent(s.user_agent)}
                  {s.current && <span className="badge">This device</span>}
                </p>
                {describeAgent(s.user_agent) !== s.user_agent && (
                  <p className="session-agent">{s.user_agent || "No user agent"}</p>
                )}
                <dl className="facts small">
                  <div>
                    <dt>Created</dt>
                    <dd>{formatTime(s.created_at)}</dd>
                  </div>
                  <div>
                    <dt>Last used</dt>
                    <dd>{formatTime(s.last_used_at)}</dd>
                  </div>
                  {s.ip && (
                    <div>
                      <dt>IP</dt>
                      <dd>{s.ip}</dd>
                    </div>
                  )}
                </dl>
              </div>
              <button
                type="button"
                className="secondary"
                aria-describedby={`session-${s.id}`}
                disabled={busy}
                onClick={() => revoke(s)}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" className="secondary" disabled={busy} onClick={logOutOthers}>
          End all other sessions
        </button>
        <button type="button" className="danger" disabled={busy} onClick={logOutEverywhere}>
          Log out everywhere
        </button>
      </div>
    </>
  );
}
