// The few Reflect metadata functions tsyringe (a dependency of @peculiar/x509) demands at import; reflect-metadata is not installed.
// Import this module before @peculiar/x509.

type Key = unknown;
const store = new WeakMap<object, Map<Key, unknown>>();
const R = Reflect as unknown as Record<string, unknown>;

if (typeof R['getMetadata'] !== 'function') {
  const own = (target: object, key: Key) => store.get(target)?.get(key);
  R['defineMetadata'] = (key: Key, value: unknown, target: object) => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    m.set(key, value);
  };
  R['getOwnMetadata'] = own;
  R['getMetadata'] = (key: Key, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const v = own(t, key);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
