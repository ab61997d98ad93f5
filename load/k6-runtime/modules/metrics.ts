/** The `k6/metrics` module: Counter, Gauge, Rate and Trend, registered as k6 registers them. */
import type { MetricType, ValueType } from '../sinks.js';
import { defineMetric, emit } from '../vu/state.js';

class Metric {
  readonly name: string;
  constructor(name: string, type: MetricType, contains: ValueType) {
    this.name = name;
    defineMetric({ name, type, contains });
  }
  add(value: number | boolean, tags?: Record<string, string>): boolean {
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
    if (!Number.isFinite(v)) throw new Error(`metric ${this.name}: add(${String(value)}) is not a number`);
    emit(this.name, v, tags);
    return true;
  }
}

export class Counter extends Metric { constructor(name: string, isTime = false) { super(name, 'counter', isTime ? 'time' : 'default'); } }
export class Gauge extends Metric { constructor(name: string, isTime = false) { super(name, 'gauge', isTime ? 'time' : 'default'); } }
export class Rate extends Metric { constructor(name: string) { super(name, 'rate', 'default'); } }
export class Trend extends Metric { constructor(name: string, isTime = false) { super(name, 'trend', isTime ? 'time' : 'default'); } }

export default { Counter, Gauge, Rate, Trend };
