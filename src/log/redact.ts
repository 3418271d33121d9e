/**
 * Redaction of secrets in text that reaches a log line.
 *
 * URLs lose their user-info (`https://user:token@host` -> `https://***@host`) and the values of
 * their query parameters (pre-signed URLs carry tokens there). Any extra secret registered with
 * the logger (proxy credentials, service-binding values) is replaced wherever it appears.
 */

// The query stops before trailing punctuation, so "from URL?t=x: HTTP 404" keeps its colon.
const URL_PATTERN =
  /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*@)?([^\s?#"'<>]*)(\?[^\s#"'<>]*?)?(?=[:,;.)]*(?:[\s#"'<>]|$))/gi;

/** Redacts credentials in every URL found in `text`. */
export function redactUrls(text: string): string {
  return text.replace(
    URL_PATTERN,
    (_match, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) => {
      const who = userinfo ? '***@' : '';
      return `${scheme}${who}${rest}${query ? redactQuery(query) : ''}`;
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
