// MQTT over WebSocket on /mqtt with the same login rules as TCP (protocol.md §1.2).
import { expect } from 'vitest';
import { LoginRefused } from '../src/client/device.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { req } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { selfLoop } from './support/wire.js';

const product = useProduct('ws', { devices: ['wsdev'] });

req(['WS-001'], 'a key device logs in over WebSocket at /mqtt and exchanges messages', async (h) => {
  const creds = product.device('wsdev');
  const device = await h.device(creds, { transport: 'ws', login: { method: 'hmacsha1', sdkappid: '21010406' } });
  const topic = `${creds.productId}/${creds.deviceName}/data`;
  expect(await device.subscribe(topic, 1)).toBe(1);
  await selfLoop(device, topic);
});

req(['WS-002'], 'a tampered signature over WebSocket is refused', async (h) => {
  const login = deviceLogin(product.device('wsdev'));
  const password = login.password.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await expect(h.connect({ ...login, password, transport: 'ws' })).rejects.toBeInstanceOf(LoginRefused);
});
