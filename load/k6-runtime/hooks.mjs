// Loader hook for VU threads: k6 module specifiers resolve to this runtime's files; anything else k6 has no module for fails clearly.
let map = {};

export function initialize(data) {
  map = data.map;
}

export async function resolve(specifier, context, next) {
  // handed on, so tsx resolves (and later compiles) the TypeScript file itself
  if (Object.hasOwn(map, specifier)) return next(map[specifier], context);
  if (specifier === 'k6' || specifier.startsWith('k6/')) {
    throw new Error(`${specifier}: this k6 module is not emulated by the hubcheck k6 runtime (it has ${Object.keys(map).join(', ')}); run the script on k6 itself`);
  }
  return next(specifier, context);
}
