// Runs the DTLS-PSK relay (relay.c, built by build.sh into build/dtls/) in front of the plain CoAP endpoint: it asks
// here for each PSK identity's key and binds each session's relay socket to the identity it authenticated.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Registry } from '../../registry/index.js';
import type { CoapEndpoint } from '../endpoint.js';

/** Where build.sh puts the relay. */
export const RELAY_BINARY = fileURLToPath(new URL('../../../build/dtls/coap-dtls-relay', import.meta.url));

export function relayBuilt(): boolean {
  return existsSync(RELAY_BINARY);
}

export interface DtlsRelay {
  port: number;
  close(): Promise<void>;
}

/**
 * The key of a PSK identity: the identity is the ClientId, productId + deviceName (coap_client.c qcloud_iot_coap_init),
 * the key the Base64-decoded device PSK. Product ids are 10 characters (the cloud API's format), which splits the two.
 */
export function pskOf(registry: Registry, identity: string): Buffer | undefined {
  const device = registry.getDevice(identity.slice(0, 10), identity.slice(10));
  if (!device || device.enableState === 0 || !device.psk) return undefined;
  return Buffer.from(device.psk, 'base64');
}

export async function startDtlsRelay(o: { host: string; port: number; coap: CoapEndpoint; registry: Registry; log(line: string): void }): Promise<DtlsRelay> {
  if (!relayBuilt()) throw new Error(`the DTLS relay is not built (${RELAY_BINARY}); run hub/coap/dtls/build.sh`);
  const child: ChildProcess = spawn(RELAY_BINARY, [o.host, String(o.port), String(o.coap.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answer = (line: string) => child.stdin!.write(`${line}\n`);
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the DTLS relay exited with ${code} before listening on ${o.host}:${o.port}`)));
    lines.on('line', (line) => {
      const [what, a = '', b = ''] = line.split(' ');
      if (what === 'ready') resolve(Number(a));
      else if (what === 'psk') {
        const key = pskOf(o.registry, Buffer.from(a, 'hex').toString('utf8'));
        answer(key ? `key ${key.toString('hex')}` : 'none');
      } else if (what === 'bind') {
        const identity = Buffer.from(b, 'hex').toString('utf8');
        o.coap.bindIdentity(`127.0.0.1:${a}`, identity);
        o.log(`coaps: DTLS session of ${identity} relayed from 127.0.0.1:${a}`);
        answer('ok');
      } else if (what === 'close') {
        o.coap.forgetPeer(`127.0.0.1:${a}`); // before the relay frees the port, which a plain CoAP client may get next
        answer('ok');
      }
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => o.log(`coaps: the DTLS relay exited (${code ?? signal})`));
  return {
    port,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end(); // the relay exits when its stdin closes
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
