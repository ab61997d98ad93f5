/** The harness's executable reading of the protocol: pure functions, no I/O. */
export * from './limits.js';
export * from './credentials.js';
export * from './topics.js';
export * from './acl.js';
export * from './cloud-sign.js';
export * from './http-sign.js';
