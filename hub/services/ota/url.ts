// Firmware download URLs (OTA-012): the C SDK's HTTP client takes everything between :// and the first / as the host
// name and always connects to the scheme's default port, so a URL naming a port (":80" included) cannot be fetched.

/** `base` without a default port (new URL drops :80 for http and :443 for https), a trailing slash, or anything after the path. */
export function normalizeBase(base: string): string {
  const u = new URL(base);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** Checks a firmware base URL given as an option; returns it normalized, or throws naming what is wrong. */
export function checkFirmwareBaseUrl(name: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${name} must be an http:// or https:// URL such as http://firmware.example.com (got ${JSON.stringify(value)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${name} must use http:// or https:// (got ${JSON.stringify(value)})`);
  if (u.username || u.password || u.search || u.hash) throw new Error(`${name} must be scheme://host[/path] without credentials, query or fragment (got ${JSON.stringify(value)})`);
  return normalizeBase(value);
}

/** Whether URLs starting with `base` carry a colon in their host part (a port, or an IPv6 literal): a strict client cannot fetch them. */
export function namesPort(base: string): boolean {
  return /^[a-z]+:\/\/[^/]*:/i.test(normalizeBase(base));
}
