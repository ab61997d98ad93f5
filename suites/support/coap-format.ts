// The suites' own reading of RFC 7252 §3 (message format), to tell a malformed datagram from a readable message.

/** Reads an option's extended delta or length field (§3.1): nibble 13 → one more byte + 13, 14 → two more + 269. */
function extended(nibble: number, bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  if (nibble < 13) return { value: nibble, next: at };
  if (nibble === 13) return at + 1 <= bytes.length ? { value: bytes[at]! + 13, next: at + 1 } : undefined;
  if (nibble === 14) return at + 2 <= bytes.length ? { value: ((bytes[at]! << 8) | bytes[at + 1]!) + 269, next: at + 2 } : undefined;
  return undefined; // 15: reserved
}

/** Whether `bytes` is a well-formed CoAP message: header, token, options that fit, and a payload after any marker. */
export function isWellFormedCoap(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0]! >> 6 !== 1) return false;
  const tkl = bytes[0]! & 0x0f;
  let at = 4 + tkl;
  if (tkl > 8 || at > bytes.length) return false;
  for (;;) {
    if (at === bytes.length) return true;
    if (bytes[at] === 0xff) return at + 1 < bytes.length; // a marker must be followed by a payload
    const delta = extended(bytes[at]! >> 4, bytes, at + 1);
    const length = delta && extended(bytes[at]! & 0x0f, bytes, delta.next);
    if (!length || length.next + length.value > bytes.length) return false;
    at = length.next + length.value;
  }
}
