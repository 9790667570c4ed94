// Who is logged in, and the text being written: both in sessionStorage (one tab, gone when it closes),
// never in localStorage or a cookie, so a token never outlives the tab or rides along on requests.

const SESSION_KEY = "kaira.session";
const UNSAVED_KEY = "kaira.unsaved";
const listeners = new Set();

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function changed() {
  for (const listener of listeners) listener(session.user());
}

export const session = {
  token: () => read(SESSION_KEY)?.access_token ?? null,
  refreshToken: () => read(SESSION_KEY)?.refresh_token ?? null,
  user: () => read(SESSION_KEY)?.user ?? null,

  /** A token answer: `{access_token, token_type}`, and with sessions `expires_in` and `refresh_token`. */
  storeTokens(answer) {
    const previous = read(SESSION_KEY) ?? {};
    const stored = {
      user: previous.user ?? null,
      access_token: answer.access_token,
      refresh_token: answer.refresh_token ?? null,
      expires_at: answer.expires_in ? Date.now() + answer.expires_in * 1000 : null,
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(stored));
  },

  storeUser(user) {
    const stored = { ...read(SESSION_KEY), user: { id: user.id, username: user.username } };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(stored));
    changed();
  },

  clear() {
    const had = sessionStorage.getItem(SESSION_KEY) !== null;
    sessionStorage.removeItem(SESSION_KEY);
    if (had) changed();
  },

  onChange(listener) {
    listeners.add(listener);
  },
};

/** One unsaved text per tab: what the editor holds, kept on every keystroke until it is saved. */
export const unsaved = {
  save(key, owner, fields) {
    sessionStorage.setItem(UNSAVED_KEY, JSON.stringify({ key, owner, ...fields }));
  },

  /** The text kept for this post (`key`: its id, or "new") and this writer, if there is one. */
  load(key, owner) {
    const kept = read(UNSAVED_KEY);
    return kept && kept.key === key && kept.owner === owner ? kept : null;
  },

  discard() {
    sessionStorage.removeItem(UNSAVED_KEY);
  },
};
