/**
 * Redaction of secrets in text that reaches a log line.
 *
 * URLs lose their user-info (`https://user:token@host` -> `https://***@host`) and the values of
 * their query parameters (pre-signed URLs carry tokens there). Any extra secret registered with
 * the logger (proxy credentials, service-binding values) is replaced wherever it appears.
 */

// scheme://[userinfo@]host[/path][?query]. The user-info runs to the LAST `@` before the path,
// whatever it holds (a password may have `"`, `'`, `<` or `:`), and the query to the first white
// space: every value is hidden, up to its `&`, quotes included. The path stops at a quote or an
// angle bracket, and before trailing punctuation, so "from URL: HTTP 404" keeps its colon.
const URL_PATTERN =
  /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*@)?([^\s?#"'<>@]*?)(?:(\?[^\s#\]]*)|(?=[:,;.)]*(?:[\s#"'<>]|$)))/gi;

/** Redacts credentials in every URL found in `text`. */
export function redactUrls(text: string): string {
  return text.replace(
    URL_PATTERN,
    (_match, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) => {
      const who = userinfo ? '***@' : '';
      if (!query) return `${scheme}${who}${rest}`;
      const tail = /[:,;.)]+$/.exec(query)?.[0] ?? '';
      return `${scheme}${who}${rest}${redactQuery(query.slice(0, query.length - tail.length))}${tail}`;
    },
  );
}

function redactQuery(query: string): string {
  return (
    '?' +
    query
      .slice(1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? pair : `${pair.slice(0, eq)}=***`;
      })
      .join('&')
  );
}

/**
 * The secrets a URL carries, in every form a log line may show them: its raw user-info (a space
 * in a password ends a URL in free text, so the pattern above alone cannot find it), the
 * password and user name decoded and percent-encoded, and each query value likewise. The logger
 * replaces each wherever it appears. Pure.
 */
export function urlSecrets(url: string): string[] {
  const found = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value) return;
    found.add(value);
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // not percent-encoded text: the raw form is enough
    }
    found.add(encodeURIComponent(value));
  };
  const authority = /^[a-z][a-z0-9+.-]*:\/\/(.*)@[^@/?#]*(?:[/?#]|$)/is.exec(url);
  if (authority?.[1]) {
    add(authority[1]);
    const colon = authority[1].indexOf(':');
    add(colon < 0 ? authority[1] : authority[1].slice(colon + 1));
    if (colon > 0) add(authority[1].slice(0, colon));
  }
  const query = url.indexOf('?');
  if (query >= 0) {
    for (const pair of url
      .slice(query + 1)
      .split('#')[0]
      ?.split('&') ?? []) {
      const eq = pair.indexOf('=');
      if (eq >= 0) add(pair.slice(eq + 1));
    }
  }
  return [...found].filter((v) => v.length > 3);
}

/** A URL as it may be shown to a user. */
export function displayUrl(url: string): string {
  return redactUrls(url);
}

/** Replaces each known secret (longer than 3 chars, to avoid mangling text) and redacts URLs. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 3) out = out.split(secret).join('***');
  }
  return redactUrls(out);
}
