/**
 * `--target docker:IMAGE[:TAG]`: the reference hub's image conventions as a container descriptor.
 * The container shares the host's network (it works on engines without a bridge, e.g. the CI's)
 * on free loopback ports passed as HUB_*_PORT, with API credentials hubcheck makes up.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '../../hub/free-port.js';
import { HubcheckError } from '../errors.js';
import type { TargetDescriptor } from './descriptor.js';
import { REFERENCE_HUB_BOUND_FLAGS, REFERENCE_HUB_BOUND_LIMITS } from './embedded-bounds.js';

export const DOCKER_PREFIX = 'docker:';

/** The line the reference hub prints once every listener is up (hub/main.ts). */
export const REFERENCE_HUB_READY = '^reference hub running';

const CA_CERT_PATH = '/tmp/hubcheck-ca.pem';
const CA_KEY_PATH = '/tmp/hubcheck-ca.key';
/** The embedded hub's settings (src/target/launch.ts), so both run the same tests at the same speed. */
const RRPC_TIMEOUT_MS = 1000;
const OFFLINE_PACE_MS = 20;

export function isDockerShortcut(target: string): boolean {
  return target.startsWith(DOCKER_PREFIX);
}

// free ports for a hub started a moment later, outside the ephemeral range (re-exported for the tests' helpers)
export { freePort };

export async function dockerDescriptor(target: string, missing: readonly string[]): Promise<TargetDescriptor> {
  const image = target.slice(DOCKER_PREFIX.length);
  if (!/^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[0-9a-f]{64})?$/.test(image)) {
    throw new HubcheckError('BAD_OPTION', `--target ${target}: expected docker:IMAGE[:TAG], e.g. docker:hubcheck/hub:dev`);
  }
  const [mqtt, ws, api, tls, wss] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const https = await freePort();
  const secretId = `AKID${randomBytes(16).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  // A CA made here and copied in, so hubcheck can verify the container's TLS endpoints.
  const { createCa } = await import('../../hub/tls/pki.js');
  const ca = await createCa('hubcheck container CA', Date.now());
  return {
    name: `${image} (container)`,
    launcher: 'container',
    profile: 'tencent-hub',
    container: {
      image,
      network: 'host',
      env: {
        HUB_HOST: '127.0.0.1',
        HUB_MQTT_PORT: String(mqtt), HUB_WS_PORT: String(ws), HUB_API_PORT: String(api),
        HUB_TLS_PORT: String(tls), HUB_WSS_PORT: String(wss), HUB_HTTPS_PORT: String(https),
        HUB_SECRET_ID: secretId, HUB_SECRET_KEY: secretKey,
        HUB_CA_CERT: CA_CERT_PATH, HUB_CA_KEY: CA_KEY_PATH,
      },
      files: { [CA_CERT_PATH]: ca.cert, [CA_KEY_PATH]: ca.key },
      // Short RRPC and offline pacing, as the embedded hub runs, for quick tests. No test clock: advancing
      // the clock of a hub that every suite file shares (24 h tests) would put later signatures and
      // certificates out of date; those tests are not applicable here (see capabilities below).
      command: ['--rrpc-timeout', String(RRPC_TIMEOUT_MS), '--offline-pace', String(OFFLINE_PACE_MS), ...REFERENCE_HUB_BOUND_FLAGS],
      ready: { log: REFERENCE_HUB_READY },
    },
    endpoints: {
      mqtt: `mqtt://127.0.0.1:${mqtt}`, ws: `ws://127.0.0.1:${ws}/mqtt`, api: `http://127.0.0.1:${api}`,
      mqtts: `mqtts://127.0.0.1:${tls}`, wss: `wss://127.0.0.1:${wss}/mqtt`, http: `http://127.0.0.1:${api}`,
      https: `https://127.0.0.1:${https}`,
    },
    tls: { ca: ca.cert },
    limits: { rrpcTimeoutMs: RRPC_TIMEOUT_MS, offlinePaceMs: OFFLINE_PACE_MS, ...REFERENCE_HUB_BOUND_LIMITS },
    cloudApi: { secretId, secretKey },
    // The image is the reference hub: it claims what the embedded one does, less the test clock.
    capabilities: { missing: [...new Set([...missing, 'test-clock', 'coap', 'coap-dtls'])] }, // CoAP: the image publishes no UDP port
  };
}
