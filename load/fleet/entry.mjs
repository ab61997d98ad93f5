// Entry of a worker thread or shard process: TypeScript runs through tsx, exactly as bin/hubcheck.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./host.ts');
await main();
