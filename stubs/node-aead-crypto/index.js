// node-dtls-client uses Node's own AES-CCM and AES-GCM on Node >= 10 and requires this module only below that.
throw new Error('node-aead-crypto is not available: hubcheck needs Node >= 20, whose crypto has AES-CCM and AES-GCM');
