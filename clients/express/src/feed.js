import { SallyportError } from './errors.js';

export const DEFAULT_FEED_INTERVAL = 2000;
export const DEFAULT_FEED_GRACE = 30000;

/**
 * Feed follows the issuer's revocation feed: the revoked session ids, each
 * with the time until which its tokens could still be accepted.
 */
export class Feed {
  #url;
  #credential;
  #interval;
  #grace;
  #failOpen;
  #toleranceMs;
  #fetch;
  #timeout;
  #onError;
  #now;
  #suggested = 0;
  #cursor = '';
  #lastOk = -Infinity;
  #revoked = new Map(); // sid -> until, ms
  #timer;
  #stopped = false;

  constructor(opts) {
    this.#url = opts.url;
    this.#credential = opts.credential;
    this.#interval = opts.interval > 0 ? opts.interval : 0;
    this.#grace = opts.grace;
    this.#failOpen = Boolean(opts.failOpen);
    this.#toleranceMs = opts.toleranceMs;
    this.#fetch = opts.fetch;
    this.#timeout = opts.timeout;
    this.#onError = opts.onError;
    this.#now = opts.now;
  }

  /** The configured interval, else the server's suggestion, else the default. */
  interval() {
    return this.#interval || this.#suggested || DEFAULT_FEED_INTERVAL;
  }

  /** How long after the last successful poll tokens are still accepted. */
  grace() {
    if (typeof this.#grace === 'number' && this.#grace >= 0) return this.#grace;
    return Math.max(DEFAULT_FEED_GRACE, 3 * this.interval());
  }

  /** The number of revoked sessions held. */
  get size() {
    return this.#revoked.size;
  }

  /**
   * check throws when sid is revoked at now, and for every session when the
   * feed has been unreadable for longer than the grace period.
   */
  check(sid, now) {
    if (!this.#failOpen && now - this.#lastOk > this.grace()) {
      throw new SallyportError(
        'unavailable',
        `revocation feed last read ${Math.round((now - this.#lastOk) / 1000)}s ago`,
      );
    }
    const until = this.#revoked.get(sid);
    if (until !== undefined && now < until) throw new SallyportError('session_revoked');
  }

  /** poll reads the feed from the cursor on and merges what it lists. */
  async poll() {
    let url = this.#url;
    if (this.#cursor) url += `?since=${encodeURIComponent(this.#cursor)}`;
    let res;
    try {
      res = await this.#fetch(url, {
        headers: { authorization: `Bearer ${this.#credential}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeout),
      });
    } catch (cause) {
      throw new Error(`poll revocation feed: ${cause.message}`, { cause });
    }
    if (res.status === 401) {
      await res.body?.cancel();
      throw new Error('revocation feed refused the service credential (401)');
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`poll revocation feed: status ${res.status}`);
    }
    const page = await res.json();
    const now = this.#now();
    this.#merge(page.revocations, now);
    if (typeof page.cursor === 'string' && page.cursor) this.#cursor = page.cursor;
    if (typeof page.poll_interval === 'number' && page.poll_interval > 0) {
      this.#suggested = Math.min(page.poll_interval, 3600) * 1000;
    }
    this.#lastOk = now;
  }

  // merge adds entries, kept until the server's until plus the tolerance,
  // the last moment one of the session's tokens could pass, and drops
  // entries past their time.
  #merge(revocations, now) {
    for (const [sid, until] of this.#revoked) {
      if (until <= now) this.#revoked.delete(sid);
    }
    for (const r of Array.isArray(revocations) ? revocations : []) {
      if (typeof r?.session_id !== 'string' || !r.session_id) continue;
      const until = Number(r.until) * 1000 + this.#toleranceMs;
      if (!(until > now)) continue;
      if (!(this.#revoked.get(r.session_id) >= until)) this.#revoked.set(r.session_id, until);
    }
  }

  /** start polls every interval until stop; the timer keeps no process alive. */
  start() {
    const tick = async () => {
      try {
        await this.poll();
      } catch (err) {
        this.#onError(err);
      }
      this.#schedule(tick);
    };
    this.#schedule(tick);
  }

  #schedule(tick) {
    if (this.#stopped) return;
    this.#timer = setTimeout(tick, this.interval());
    this.#timer.unref?.();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
