/**
 * Which proxy a download goes through, from HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case),
 * as curl and the CF buildpacks read them. Pure: the env is passed in.
 */

export type ProxyEnv = Record<string, string | undefined>;

/** The proxy variables of an environment, in either case, as downloads read them. */
export function proxyEnvFrom(env: ProxyEnv): ProxyEnv {
  return {
    http_proxy: env.http_proxy ?? env.HTTP_PROXY,
    https_proxy: env.https_proxy ?? env.HTTPS_PROXY,
    no_proxy: env.no_proxy ?? env.NO_PROXY,
  };
}

function read(env: ProxyEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** The proxy URL for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: ProxyEnv): string | undefined {
  const proxy = target.protocol === 'https:' ? read(env, 'https_proxy') : read(env, 'http_proxy');
  if (!proxy || bypassed(target, read(env, 'no_proxy'))) return undefined;
  return proxy.includes('://') ? proxy : `http://${proxy}`;
}

/** NO_PROXY: `*`, host names (suffix match, leading dot optional), optionally with `:port`. */
function bypassed(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((rule) => {
      if (rule === '*') return true;
      const [ruleHost = '', rulePort] = rule
        .toLowerCase()
        .replace(/^\*?\./, '')
        .split(/:(?=\d+$)/);
      if (rulePort && rulePort !== port) return false;
      return host === ruleHost || host.endsWith(`.${ruleHost}`);
    });
}
