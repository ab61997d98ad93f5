// Auth tokens handed out by the CoAP auth request: bounded per device and in total, expiring on the hub's retention clock.

import { randomBytes } from 'node:crypto';
import { MAX_TOKENS, TOKEN_TTL_MS, TOKENS_PER_DEVICE } from './protocol.js';

export interface TokenGrant {
  productId: string;
  deviceName: string;
  expiresAt: number;
}

export class Tokens {
  // Map order is issue order, so the first entries are the oldest.
  private readonly grants = new Map<string, TokenGrant>();
  private readonly byDevice = new Map<string, string[]>();

  constructor(private readonly now: () => number, private readonly neverExpire = false) {}

  issue(productId: string, deviceName: string): string {
    const token = randomBytes(16).toString('hex');
    const key = `${productId}/${deviceName}`;
    const own = this.byDevice.get(key) ?? [];
    while (own.length >= TOKENS_PER_DEVICE) this.grants.delete(own.shift()!);
    while (this.grants.size >= MAX_TOKENS) this.revoke(this.grants.keys().next().value!);
    own.push(token);
    this.byDevice.set(key, own);
    this.grants.set(token, { productId, deviceName, expiresAt: this.now() + TOKEN_TTL_MS });
    return token;
  }

  /** The device a token stands for, or why it stands for none. */
  check(token: string): TokenGrant | 'unknown' | 'expired' {
    const grant = this.grants.get(token);
    if (!grant) return 'unknown';
    if (!this.neverExpire && this.now() >= grant.expiresAt) {
      this.revoke(token);
      return 'expired';
    }
    return grant;
  }

  private revoke(token: string): void {
    const grant = this.grants.get(token);
    if (!grant) return;
    this.grants.delete(token);
    const key = `${grant.productId}/${grant.deviceName}`;
    const own = (this.byDevice.get(key) ?? []).filter((t) => t !== token);
    if (own.length) this.byDevice.set(key, own);
    else this.byDevice.delete(key);
  }

  get size(): number {
    return this.grants.size;
  }
}
