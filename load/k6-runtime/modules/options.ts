/** The `k6/options` module holds only types; scripts import it with `import type`, so at run time it is empty. */
export {};
