// The reference hub's RRPC timeout when none is configured: the seed's 10 s. The suites never see it (the embedded
// target runs the hub with 1 s), so it is checked here, on fake timers: the hub's timer runs on them, the sockets do not.

import { afterEach, expect, test, vi } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { callApi, connectDevice, provision, type ApiResponse } from '../hub/helpers.js';

let hub: RunningHub | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await hub?.close();
  hub = undefined;
});

test('without rrpcTimeoutMs an unanswered PublishRRPCMessage is still waiting at 9.9 s and fails with RRPCTimeout at 10 s', async () => {
  hub = await startHub(); // no rrpcTimeoutMs: the hub's default
  const [dev] = await provision(hub, ['callee']);
  const device = await connectDevice(hub, dev!);
  await device.subscribeAsync(`$rrpc/rxd/${dev!.productId}/${dev!.deviceName}/+`, { qos: 1 });
  const requested = new Promise<string>((resolve) => device.once('message', (topic) => resolve(topic)));

  // Only setTimeout is faked, from before the call, so the hub's RRPC timer is a fake one; I/O stays real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
  let answer: ApiResponse | undefined;
  const call = callApi(hub, 'PublishRRPCMessage', { ProductId: dev!.productId, DeviceName: dev!.deviceName, Payload: 'anyone?' }).then((r) => (answer = r));
  expect(await requested).toMatch(/^\$rrpc\/rxd\/[^/]+\/callee\/\d+$/);

  // Barrier: a later request on another connection is answered after a timeout the hub has already written.
  const barrier = async () => expect((await callApi(hub!, 'DescribeDevice', { ProductID: dev!.productId, DeviceName: dev!.deviceName })).Response.Online).toBe(1);
  await vi.advanceTimersByTimeAsync(9_900);
  await barrier();
  expect(answer, 'PublishRRPCMessage answered before 10 s').toBeUndefined();

  await vi.advanceTimersByTimeAsync(200);
  await barrier();
  expect(answer?.Response.Error?.Code, 'PublishRRPCMessage at 10.1 s').toBe('FailedOperation.RRPCTimeout');
  await call;
  await device.endAsync();
});
