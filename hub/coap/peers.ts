// Per-peer state: the message ids a peer sent recently with the answer each got (RFC 7252 §4.5 deduplication), and the
// DTLS identity the relay bound the peer to. Bounded in peers and in ids per peer; both expire.

import { EXCHANGE_LIFETIME_MS, EXCHANGES_PER_PEER, MAX_PEERS } from './protocol.js';

/** What a message id got: its answer once processed (undefined: processed, nothing to answer), or 'pending' meanwhile. */
export type Answer = Buffer | undefined | 'pending';

export interface Peer {
  seen: Map<number, { answer: Answer; at: number }>;
  lastHeard: number;
  /** The DTLS PSK identity (ClientId) the relay authenticated this peer with; absent on plain CoAP. */
  identity?: string;
}

export class Peers {
  private readonly peers = new Map<string, Peer>();

  constructor(private readonly now: () => number) {}

  get(key: string): Peer {
    let peer = this.peers.get(key);
    if (peer) this.peers.delete(key); // re-inserted last: Map order is least recently heard first
    else {
      while (this.peers.size >= MAX_PEERS) this.peers.delete(this.peers.keys().next().value!);
      peer = { seen: new Map(), lastHeard: 0 };
    }
    peer.lastHeard = this.now();
    this.peers.set(key, peer);
    return peer;
  }

  forget(key: string): void {
    this.peers.delete(key);
  }

  peek(key: string): Peer | undefined {
    return this.peers.get(key);
  }

  remember(peer: Peer, mid: number, answer: Answer): void {
    peer.seen.delete(mid);
    const cutoff = this.now() - EXCHANGE_LIFETIME_MS;
    for (const [id, e] of peer.seen) {
      if (peer.seen.size < EXCHANGES_PER_PEER && e.at >= cutoff) break;
      peer.seen.delete(id);
    }
    peer.seen.set(mid, { answer, at: this.now() });
  }

  recall(peer: Peer, mid: number): Answer | 'new' {
    const e = peer.seen.get(mid);
    if (!e || e.at < this.now() - EXCHANGE_LIFETIME_MS) return 'new';
    return e.answer;
  }

  /** Drops peers not heard from for an exchange lifetime (called from a timer). */
  sweep(): void {
    const cutoff = this.now() - EXCHANGE_LIFETIME_MS;
    for (const [key, peer] of this.peers) {
      if (peer.lastHeard >= cutoff) break;
      this.peers.delete(key);
    }
  }

  get size(): number {
    return this.peers.size;
  }
}
