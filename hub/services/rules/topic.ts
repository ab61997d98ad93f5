// Rule topic filters (protocol.md §10.2): `+` is exactly one level anywhere, `#` zero or more levels and only last.

/** Splits and checks a FROM filter; returns the levels or a string saying what is wrong. */
export function parseFilter(filter: string): string[] | string {
  if (filter === '') return 'the topic filter is empty';
  if (/\s|\u0000/.test(filter)) return 'the topic filter contains white space';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l === '') return `level ${i + 1} is empty`;
    if (l === '#' && i !== levels.length - 1) return '# is allowed only as the last level (e.g. pid/dev/#)';
    if (l !== '#' && l !== '+' && /[+#]/.test(l)) return `level "${l}": + and # must be a whole level`;
  }
  return levels;
}

/**
 * MQTT matching of a rule filter against a topic. A filter starting with a wildcard does not match
 * `$` topics (MQTT 3.1.1 §4.7.2), so `+/+/event` never sees `$state/report/...` events.
 * `loose` is the rules-wrong-topic-match fault: `+` then matches one or more levels.
 */
export function filterMatches(filter: readonly string[], topic: readonly string[], loose = false): boolean {
  if (topic[0]?.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  return matchFrom(filter, topic, loose, 0, 0);
}

// Module-level rather than a closure in filterMatches: it runs for every rule on every message, and tsx names each
// new closure (a defineProperty per call).
function matchFrom(filter: readonly string[], topic: readonly string[], loose: boolean, fi: number, ti: number): boolean {
  if (fi === filter.length) return ti === topic.length;
  const f = filter[fi]!;
  if (f === '#') return true;
  if (ti >= topic.length) return false;
  if (f === '+') {
    if (matchFrom(filter, topic, loose, fi + 1, ti + 1)) return true;
    return loose && ti + 1 < topic.length && matchFrom(filter, topic, loose, fi, ti + 1);
  }
  return f === topic[ti] && matchFrom(filter, topic, loose, fi + 1, ti + 1);
}
