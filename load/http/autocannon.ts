/** HTTP load with autocannon: the device gateway (publish, reportlog) and the cloud API, each request freshly signed, rotating over devices; results in the fleet's metric names. */
import { randomInt } from 'node:crypto';
import autocannon from 'autocannon';
import { signTc3 } from '../../src/protocol/cloud-sign.js';
import { signGatewayRequest } from '../../src/protocol/http-sign.js';
import { Collector, type MetricsDelta } from '../metrics/collector.js';
import { COUNTERS, TRENDS } from '../metrics/names.js';
import type { DeviceCred } from '../fleet/credentials.js';

export interface HttpLoadOptions {
  kind: 'gateway-publish' | 'reportlog' | 'cloud-api';
  /** Base URL of the hub's HTTP side (the gateway routes live on the API port of the reference hub). */
  url: string;
  devices: readonly DeviceCred[];
  connections: number;
  /** Requests per second over all connections. */
  rate: number;
  duration: number;
  cloudApi?: { secretId: string; secretKey: string; region: string };
  /** Where to record (shared with the fleet's timeline); a new one when absent. */
  collector?: Collector;
}

/** Builds one request (path, body, headers) for device i. */
export function buildRequest(kind: HttpLoadOptions['kind'], host: string, d: DeviceCred, n: number, cloud?: HttpLoadOptions['cloudApi']): { path: string; body: string; headers: Record<string, string> } {
  if (kind === 'cloud-api') {
    if (!cloud) throw new Error('cloud-api load needs the target cloudApi credentials');
    // DescribeDevice spells it ProductID (2018-06-14 API, protocol.md Appendix A).
    const body = JSON.stringify({ ProductID: d.productId, DeviceName: d.deviceName });
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = signTc3({ ...cloud, service: 'iotcloud', host, timestamp, body });
    return {
      path: '/',
      body,
      headers: {
        'content-type': 'application/json', 'x-tc-action': 'DescribeDevice', 'x-tc-version': '2018-06-14',
        'x-tc-timestamp': String(timestamp), 'x-tc-region': cloud.region, authorization: signed.authorization,
      },
    };
  }
  const path = kind === 'gateway-publish' ? '/device/publish' : '/device/reportlog';
  const body = kind === 'gateway-publish'
    ? JSON.stringify({ ProductId: d.productId, DeviceName: d.deviceName, TopicName: `${d.productId}/${d.deviceName}/event`, Payload: `m${n}`, Qos: 0 })
    : JSON.stringify({ ProductId: d.productId, DeviceName: d.deviceName, Message: [`INF|${new Date().toISOString()}|hubcheck load|request ${n}`] });
  const sig = signGatewayRequest({ host: host.replace(/:\d+$/, ''), uri: path, algorithm: 'hmacsha256', timestamp: Math.floor(Date.now() / 1000), nonce: randomInt(1, 2 ** 31 - 1), body, secret: d.psk });
  return { path, body, headers: { 'content-type': 'application/json', ...sig.headers } };
}

export async function runHttpLoad(o: HttpLoadOptions): Promise<MetricsDelta> {
  if (!o.devices.length) throw new Error('http load needs at least one device');
  const m = o.collector ?? new Collector();
  const host = new URL(o.url).host;
  let n = 0;
  // autocannon's own coordinated-omission correction assumes a 1 ms interval: switch it off and correct with the real one.
  const expectedIntervalUs = (o.connections / o.rate) * 1e6;
  let finish!: (e: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => { finish = (e) => (e ? reject(e) : resolve()); });
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    overallRate: o.rate,
    duration: o.duration,
    ignoreCoordinatedOmission: true,
    timeout: 10,
    requests: [{
      method: 'POST',
      setupRequest: (req) => {
        const i = n++;
        const r = buildRequest(o.kind, host, o.devices[i % o.devices.length]!, i, o.cloudApi);
        return { ...req, path: r.path, body: r.body, headers: r.headers };
      },
      onResponse: (status: number, body: string) => {
        m.add(COUNTERS.httpReqs);
        if (status !== 200 || body.includes('"Error"')) {
          m.add(COUNTERS.httpReqFailed);
          const code = /"Code"\s*:\s*"([^"]+)"/.exec(body)?.[1] ?? `http-${status}`;
          m.add(`http_req_failures{code:${code}}`);
        }
      },
    }],
  }, (err) => finish(err ?? null));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    m.recordUs(TRENDS.httpReqDuration, responseTimeMs * 1000, expectedIntervalUs);
  });
  instance.on('reqError', () => { m.add(COUNTERS.httpReqs); m.add(COUNTERS.httpReqFailed); m.add('http_req_failures{code:connection}'); });
  await finished;
  return o.collector ? { counters: {}, histograms: {}, gauges: {} } : m.drain();
}
