/** The module specifiers a k6 script may import, and the file of this runtime that stands in for each. */
export const MODULES: Record<string, string> = {
  k6: './modules/k6.ts',
  'k6/metrics': './modules/metrics.ts',
  'k6/options': './modules/options.ts',
  'k6/execution': './modules/execution.ts',
  'k6/crypto': './modules/crypto.ts',
  'k6/encoding': './modules/encoding.ts',
  'k6/timers': './modules/timers.ts',
  'k6/x/mqtt': './modules/mqtt.ts',
};

/** Specifier → absolute file URL, for the loader hook. */
export function moduleUrls(): Record<string, string> {
  return Object.fromEntries(Object.entries(MODULES).map(([k, v]) => [k, new URL(v, import.meta.url).href]));
}
