/** `hubcheck replay FILE`: re-runs a saved, shrunk model sequence step by step against a target, printing each command and the packets it caused. */
import pc from 'picocolors';
import { CloudApi } from '../client/cloud-api.js';
import { Trace } from '../client/trace.js';
import { HubcheckError } from '../errors.js';
import { descriptorFor, launch } from '../target/launch.js';
import type { TargetDescriptor } from '../target/descriptor.js';

/** A trace that also prints every line as it happens. */
class PrintingTrace extends Trace {
  constructor(private readonly out: (line: string) => void) {
    super();
  }
  override add(channel: string, line: string): void {
    super.add(channel, line);
    this.out(`      ${pc.dim(channel.padEnd(10))} ${line}`);
  }
}

export async function replayCommand(file: string, opts: { target?: string }, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const { readReplay, runSequence } = await import('../../suites/qos/replay.js');
  const { World } = await import('../../suites/qos/world.js');
  let replay;
  try {
    replay = readReplay(file);
  } catch (e) {
    throw new HubcheckError('BAD_OPTION', (e as Error).message);
  }
  // Default: the embedded hub with the faults the failing run had, so the failure reproduces.
  const descriptor: TargetDescriptor = opts.target ? await descriptorFor(opts.target) : { launcher: 'embedded', embedded: { faults: replay.target.faults } };
  out(`hubcheck replay: ${replay.commands.length} commands from ${file}`);
  out(`  test:   ${replay.test}`);
  out(`  failed: ${replay.error} (seed ${replay.seed}, path ${replay.path})`);
  out(`  target: ${opts.target ?? `embedded reference hub${replay.target.faults.length ? ` (faults: ${replay.target.faults.join(', ')})` : ''}`}`);
  const launched = await launch(descriptor);
  const t = launched.target;
  const trace = new PrintingTrace(out);
  const api = new CloudApi({ endpoint: t.endpoints.api, ...t.cloudApi });
  let productId = '';
  const devices: { productId: string; deviceName: string; psk: string }[] = [];
  try {
    const p = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: `replay_${Date.now().toString(36)}`.slice(0, 32), ProductProperties: { ProductDescription: 'hubcheck replay', EncryptionType: '2' } });
    productId = p.ProductId;
    for (const name of replay.topicClasses) await api.call('CreateTopicPolicy', { ProductID: productId, TopicName: name, Privilege: 3 });
    for (let i = 0; i < replay.devices; i++) {
      const r = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: productId, DeviceName: `d${i}` });
      devices.push({ productId, deviceName: `d${i}`, psk: r.DevicePsk });
    }
    const world = new World({ mqttUrl: t.endpoints.mqtt, api: { endpoint: t.endpoints.api, ...t.cloudApi }, devices, trace, paceMs: t.limits.offlinePaceMs });
    await world.calibrate();
    out('');
    try {
      await runSequence(world, replay.devices, 'replay', replay.commands, {
        before: (i, _c, text) => out(`${pc.bold(`${String(i + 1).padStart(3)}.`)} ${text}`),
        after: (_i, _c, err) => { if (err) out(`     ${pc.red('✗')} ${err.message.split('\n').join('\n       ')}`); },
      });
    } catch (e) {
      out('');
      out(`${pc.red('still fails')}: ${(e as Error).message.split('\n')[0]}`);
      return 1;
    } finally {
      await world.close();
    }
    out('');
    out(`${pc.green('passes')}: the sequence no longer breaks the model on this target`);
    return 0;
  } finally {
    for (const d of devices) await api.call('DeleteDevice', { ProductId: productId, DeviceName: d.deviceName }).catch(() => {});
    if (productId) await api.call('DeleteProduct', { ProductId: productId }).catch(() => {});
    await launched.stop();
  }
}
