// Types for the parts of mqemitter-redis (CommonJS, no bundled types) the hub uses.
declare module 'mqemitter-redis' {
  import type mqemitter from 'mqemitter';
  type MQEmitter = mqemitter.MQEmitter;
  interface Options {
    connectionString?: string;
    maxLRUCache?: number;
    ttlLRUCache?: number;
  }
  interface MQEmitterRedis extends MQEmitter {
    readonly state: import('node:events').EventEmitter;
    readonly subConn: import('ioredis').Redis;
    readonly pubConn: import('ioredis').Redis;
  }
  function MQEmitterRedis(opts?: Options): MQEmitterRedis;
  namespace MQEmitterRedis {
    const MQEmitterRedisPrefix: new (prefix: string, opts?: Options) => MQEmitterRedis;
  }
  export = MQEmitterRedis;
}
