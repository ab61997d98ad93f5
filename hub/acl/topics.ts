// Pure topic-name and topic-filter algebra: levels, validity, matching, intersection and covering (access-rules §2, §4, §5).

export type Levels = readonly string[];

export function levels(topic: string): string[] {
  return topic.split('/');
}

export function byteLength(topic: string): number {
  return Buffer.byteLength(topic, 'utf8');
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** A topic name: non-empty, no wildcards, no NUL (access-rules §2); the byte limit is checked by the caller. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/** True when a topic (a list of concrete levels) matches a class or filter pattern where `+` is one level. */
export function matchesPattern(topic: Levels, pattern: Levels): boolean {
  if (topic.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '+' && pattern[i] !== topic[i]) return false;
  }
  return true;
}

/**
 * F ∩ C level by level (access-rules §4): a literal meets an equal literal or `+`; `+` meets anything;
 * F's `#` meets the rest of C (also zero levels: `a/#` matches `a` in MQTT). C never holds `#`.
 * Returns the intersection as a filter, or null when it is empty.
 */
export function intersect(filter: Levels, cls: Levels): string[] | null {
  const out: string[] = [];
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return [...out, ...cls.slice(i)];
    if (i >= cls.length) return null;
    const c = cls[i]!;
    if (f === '+') out.push(c);
    else if (c === '+' || c === f) out.push(f);
    else return null;
  }
  return out.length === cls.length ? out : null;
}

/**
 * True when filter F covers subscription S: every topic S matches, F matches (access-rules §5).
 * F's `+` covers any one level of S (including S's `+`), F's `#` covers the rest; a literal covers only itself.
 */
export function covers(filter: Levels, sub: Levels): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return true;
    if (i >= sub.length) return false;
    const s = sub[i]!;
    if (s === '#') return false;
    if (f !== '+' && f !== s) return false;
  }
  return filter.length === sub.length;
}
