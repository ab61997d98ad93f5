// The RRPC answer timeout: 10 s by default (seed §1.3.2 "RRPC 请求10s超时" and the limits table; the 4 s of the developer doc loses, see hub/README.md).

export const DEFAULT_RRPC_TIMEOUT_MS = 10_000;
