/** k6 twin of load/scenarios/connect-storm.ts: connect every device as fast as the VUs go, then leave. */
export { default, options } from './idle-hold.ts';
