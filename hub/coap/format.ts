// The message format of RFC 7252 §3, checked before coap-packet parses a datagram: coap-packet slices an option that
// runs past the end of the datagram short instead of refusing it, and takes a payload marker with nothing after it.

/** Why `msg` is not a well-formed CoAP message, or undefined when it is. */
export function formatError(msg: Buffer): string | undefined {
  if (msg.length < 4) return 'shorter than the 4-byte header';
  if (msg[0]! >> 6 !== 1) return `version ${msg[0]! >> 6}, not 1`;
  const tokenLength = msg[0]! & 0x0f;
  if (tokenLength > 8) return `token length ${tokenLength} is reserved`;
  let at = 4 + tokenLength;
  if (at > msg.length) return `token length ${tokenLength} does not fit`;
  while (at < msg.length) {
    const byte = msg[at++]!;
    if (byte === 0xff) return at < msg.length ? undefined : 'a payload marker with no payload';
    const [delta, length] = [byte >> 4, byte & 0x0f];
    if (delta === 15 || length === 15) return 'an option nibble of 15 (reserved)';
    at += (delta === 13 ? 1 : delta === 14 ? 2 : 0);
    const lengthAt = at;
    at += (length === 13 ? 1 : length === 14 ? 2 : 0);
    if (at > msg.length) return 'an option header runs past the datagram';
    const value = length === 13 ? msg[lengthAt]! + 13 : length === 14 ? msg.readUInt16BE(lengthAt) + 269 : length;
    at += value;
    if (at > msg.length) return `an option of ${value} bytes runs past the datagram`;
  }
  return undefined;
}
