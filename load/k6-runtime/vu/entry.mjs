// Entry of a VU thread: TypeScript through tsx (as bin/hubcheck.js), then the k6 module hook, then the VU itself.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
const { moduleUrls } = await import('../modules.ts');
registerHooks('../hooks.mjs', import.meta.url, { data: { map: moduleUrls() } });
await import('./vu.ts');
