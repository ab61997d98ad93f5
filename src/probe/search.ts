/** Finding the largest accepted value of a monotonic yes/no question with few attempts (each attempt is a connection). */
import type { MeasuredBound } from '../report/model.js';

/**
 * Largest n in [min, cap] with accepts(n), assuming accepts is true up to some bound and false
 * after. A hint (the claimed bound) is tried first with hint+1: a hub that keeps its claim costs
 * two attempts. At most about log2(cap - min) + 3 attempts.
 */
export async function largestAccepted(min: number, cap: number, accepts: (n: number) => Promise<boolean>, hint?: number): Promise<MeasuredBound> {
  let attempts = 0;
  const ask = async (n: number) => { attempts++; return accepts(n); };
  let lo = min - 1; // largest known accepted (min - 1: none known)
  let hi = cap + 1; // smallest known refused (cap + 1: none known)
  if (hint !== undefined && hint >= min && hint < cap) {
    if (await ask(hint)) {
      lo = hint;
      if (!(await ask(hint + 1))) return { max: hint, capped: false, attempts };
      lo = hint + 1;
    } else {
      hi = hint;
    }
  }
  if (lo < min) {
    if (!(await ask(min))) return { max: null, capped: false, attempts };
    lo = min;
  }
  if (hi > cap) {
    if (await ask(cap)) return { max: cap, capped: true, attempts };
    hi = cap;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await ask(mid)) lo = mid; else hi = mid;
  }
  return { max: lo, capped: false, attempts };
}
