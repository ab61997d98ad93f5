/** The explicit table that maps each documented JSON example (document, heading, ordinal) to the schema definition it must satisfy. */
import type { DocName } from './doc/extract.js';

export interface MappedExample {
  id: string;
  doc: DocName;
  heading: string;
  ordinal: number;
  ref: string;
  /** Set when the document's own example breaks the rule the document states: the instance paths that must fail, and why. */
  deviation?: { paths: string[]; why: string };
}

export interface IgnoredExample { doc: DocName; heading: string; ordinal: number; why: string }

const S = {
  ntp: '2.6 NTP service (`$sys`)',
  doc: '3.1 Document model',
  mqtt: '3.2 MQTT operations',
  api: '3.3 Cloud API (2018-06-14)',
  ota: '4.1 Messages',
  cfg: '5. Remote configuration (`$config`)',
  log: '6.1 Log level negotiation over MQTT',
  rlog: '6.2 HTTP log upload — `POST /device/reportlog`',
  rrpc: '7.2 RRPC (revert RPC, synchronous cloud→device call)',
  sign: '8.2 Signature (X-TC-* headers)',
  pub: '8.3 Publish semantics',
  err: '8.4 Error responses',
  reg: '8.5 Dynamic registration (`/device/register`)',
  req: '9.1 Request structure',
  tc3: '9.4 Signature v3 (TC3-HMAC-SHA256)',
  resp: '9.5 Responses and errors',
} as const;

const MASKED_MD5 = { paths: ['/md5sum'], why: 'the document masks the MD5 with **** (36eb5951179db14a63****a37a9322a2); a real md5sum is 32 lowercase hex digits' };

const p = (id: string, heading: string, ordinal: number, ref: string, deviation?: MappedExample['deviation']): MappedExample =>
  ({ id, doc: 'protocol', heading, ordinal, ref, ...(deviation ? { deviation } : {}) });
const s = (id: string, heading: string, ordinal: number, ref: string, deviation?: MappedExample['deviation']): MappedExample =>
  ({ id, doc: 'seed', heading, ordinal, ref, ...(deviation ? { deviation } : {}) });

/** protocol.md §2.6–§9 and the seed notes. */
export const SECTION_EXAMPLES: MappedExample[] = [
  p('ntp-request', S.ntp, 0, 'ntp.schema.json#/$defs/getTimeRequest'),
  p('ntp-reply', S.ntp, 1, 'ntp.schema.json#/$defs/getTimeReply'),
  p('shadow-document', S.doc, 0, 'shadow.schema.json#/$defs/document'),
  p('shadow-document-empty', S.doc, 1, 'shadow.schema.json#/$defs/document'),
  p('shadow-get-request', S.mqtt, 0, 'shadow.schema.json#/$defs/getRequest'),
  p('shadow-get-reply', S.mqtt, 1, 'shadow.schema.json#/$defs/getReply'),
  p('shadow-update-request', S.mqtt, 2, 'shadow.schema.json#/$defs/updateRequest'),
  p('shadow-update-request-c-sdk', S.mqtt, 3, 'shadow.schema.json#/$defs/updateRequest'),
  p('shadow-update-reply', S.mqtt, 4, 'shadow.schema.json#/$defs/updateReply'),
  p('shadow-5005-reply', S.mqtt, 5, 'shadow.schema.json#/$defs/versionConflictReply'),
  p('shadow-clear-desired-reply', S.mqtt, 6, 'shadow.schema.json#/$defs/updateReply'),
  p('shadow-delta', S.mqtt, 7, 'shadow.schema.json#/$defs/delta'),
  p('shadow-api-state', S.api, 0, 'shadow.schema.json#/$defs/apiState'),
  p('shadow-api-data', S.api, 1, 'shadow.schema.json#/$defs/apiData'),
  p('ota-report-version', S.ota, 0, 'ota.schema.json#/$defs/reportVersion'),
  p('ota-report-version-rsp', S.ota, 1, 'ota.schema.json#/$defs/reportVersionRsp'),
  p('ota-update-firmware', S.ota, 2, 'ota.schema.json#/$defs/updateFirmware', MASKED_MD5),
  p('ota-downloading', S.ota, 3, 'ota.schema.json#/$defs/reportDownloading'),
  p('ota-burning', S.ota, 4, 'ota.schema.json#/$defs/reportBurning'),
  p('ota-done', S.ota, 5, 'ota.schema.json#/$defs/reportDone'),
  p('ota-fail', S.ota, 6, 'ota.schema.json#/$defs/reportFail'),
  p('config-get', S.cfg, 0, 'config.schema.json#/$defs/getRequest'),
  p('config-content', S.cfg, 1, 'config.schema.json#/$defs/configContent'),
  p('log-get-level', S.log, 0, 'log.schema.json#/$defs/getLogLevelRequest'),
  p('log-get-level-reply', S.log, 1, 'log.schema.json#/$defs/getLogLevelReply'),
  p('log-reportlog-body', S.rlog, 0, 'log.schema.json#/$defs/reportLogRequest'),
  p('log-reportlog-answer', S.rlog, 1, 'log.schema.json#/$defs/reportLogResponse'),
  p('rrpc-api-response', S.rrpc, 0, 'rrpc.schema.json#/$defs/publishResponse'),
  p('gateway-register-body', S.sign, 0, 'http-gateway.schema.json#/$defs/registerRequest'),
  p('gateway-publish-answer', S.pub, 0, 'http-gateway.schema.json#/$defs/publishResponse'),
  p('gateway-legacy-register-error', S.err, 1, 'http-gateway.schema.json#/$defs/legacyRegisterResponse'),
  p('gateway-error', S.err, 2, 'http-gateway.schema.json#/$defs/errorResponse'),
  p('gateway-register-answer', S.reg, 0, 'http-gateway.schema.json#/$defs/registerResponse'),
  p('gateway-register-plain-psk', S.reg, 1, 'http-gateway.schema.json#/$defs/registerPlaintext'),
  p('gateway-register-plain-cert', S.reg, 2, 'http-gateway.schema.json#/$defs/registerPlaintext'),
  p('gateway-register-plain-vector', S.reg, 3, 'http-gateway.schema.json#/$defs/registerPlaintext'),
  p('gateway-legacy-register-answer', S.reg, 4, 'http-gateway.schema.json#/$defs/legacyRegisterResponse'),
  p('api-create-topic-rule-body', S.req, 0, 'cloud-api.schema.json#/$defs/CreateTopicRuleRequest'),
  p('api-error', S.resp, 0, 'cloud-api.schema.json#/$defs/errorResponse'),

  s('seed-gateway-publish-body', '1.2.2 设备基于 HTTP 接入（√）', 0, 'http-gateway.schema.json#/$defs/publishRequest'),
  s('seed-gateway-publish-answer', '1.2.2 设备基于 HTTP 接入（√）', 1, 'http-gateway.schema.json#/$defs/publishResponse'),
  s('seed-ota-report-version', '1.4.3 操作流程', 0, 'ota.schema.json#/$defs/reportVersion'),
  s('seed-ota-update-firmware', '1.4.3 操作流程', 1, 'ota.schema.json#/$defs/updateFirmware', MASKED_MD5),
  s('seed-ota-downloading', '1.4.3 操作流程', 2, 'ota.schema.json#/$defs/reportDownloading'),
  s('seed-ota-burning', '1.4.3 操作流程', 3, 'ota.schema.json#/$defs/reportBurning'),
  s('seed-ota-done', '1.4.3 操作流程', 4, 'ota.schema.json#/$defs/reportDone'),
  s('seed-ota-fail', '1.4.3 操作流程', 5, 'ota.schema.json#/$defs/reportFail'),
  s('seed-config-get', '1.5.2.2 设备端主动请求', 0, 'config.schema.json#/$defs/getRequest'),
  s('seed-log-get-level', '1.6.2 查询日志级别', 0, 'log.schema.json#/$defs/getLogLevelRequest'),
  s('seed-log-get-level-reply', '1.6.2 查询日志级别', 1, 'log.schema.json#/$defs/getLogLevelReply'),
  s('seed-log-reportlog-body', '1.6.4.1 请求包', 0, 'log.schema.json#/$defs/reportLogRequest'),
  s('seed-log-reportlog-answer', '1.6.4.2 返回包', 0, 'log.schema.json#/$defs/reportLogResponse'),
  s('seed-api-create-device-cert', '1.7.1.4 示例', 0, 'cloud-api.schema.json#/$defs/CreateDeviceResponse', {
    paths: ['/Response/LoraMoteType'], why: 'LoraMoteType is an int in the output table but "" in the example',
  }),
  s('seed-api-create-device-psk', '1.7.1.4 示例', 1, 'cloud-api.schema.json#/$defs/CreateDeviceResponse', {
    paths: ['/Response/LoraMoteType'], why: 'LoraMoteType is an int in the output table but "" in the example',
  }),
];

/** Examples in range that no schema family covers, each with the reason. */
export const IGNORED_EXAMPLES: IgnoredExample[] = [
  { doc: 'protocol', heading: '2.7 Gateway / sub-device protocol (`$gateway`) — for completeness', ordinal: 0, why: '$gateway is outside the schema families hubcheck checks' },
  { doc: 'protocol', heading: '2.8 Resource management (`$resource`) — for completeness', ordinal: 0, why: '$resource is outside the schema families hubcheck checks' },
  { doc: 'protocol', heading: '2.8 Resource management (`$resource`) — for completeness', ordinal: 1, why: '$resource is outside the schema families hubcheck checks' },
  { doc: 'protocol', heading: '2.8 Resource management (`$resource`) — for completeness', ordinal: 2, why: '$resource is outside the schema families hubcheck checks' },
  { doc: 'protocol', heading: S.err, ordinal: 0, why: 'an abbreviated quote from an Android FAQ (§8.4 says so), not a wire message' },
  { doc: 'protocol', heading: S.tc3, ordinal: 0, why: 'the body of a signature test vector, not tied to an action' },
];

/** Appendix A actions whose official request and response examples are checked: all 69. */
export const API_ACTIONS = [
  'BatchUpdateFirmware', 'BindDevices', 'CancelDeviceFirmwareTask', 'CancelTask', 'CreateDevice', 'CreateLoraDevice', 'CreateMultiDevice',
  'CreateMultiDevicesTask', 'CreateProduct', 'CreateTask', 'CreateTaskFileUrl', 'CreateTopicPolicy', 'CreateTopicRule', 'DeleteDevice',
  'DeleteDeviceResource', 'DeleteLoraDevice', 'DeleteProduct', 'DeleteTopicRule', 'DescribeAllDevices', 'DescribeDevice',
  'DescribeDeviceClientKey', 'DescribeDeviceResource', 'DescribeDeviceResources', 'DescribeDeviceShadow', 'DescribeDevices',
  'DescribeFirmware', 'DescribeFirmwareTask', 'DescribeFirmwareTaskDevices', 'DescribeFirmwareTaskDistribution',
  'DescribeFirmwareTaskStatistics', 'DescribeFirmwareTasks', 'DescribeLoraDevice', 'DescribeMultiDevTask', 'DescribeMultiDevices',
  'DescribeProduct', 'DescribeProductResource', 'DescribeProductResources', 'DescribeProductTask', 'DescribeProductTasks',
  'DescribeProducts', 'DescribePushResourceTaskStatistics', 'DescribeResourceTasks', 'DescribeTask', 'DescribeTasks', 'DisableTopicRule',
  'DownloadDeviceResource', 'EditFirmware', 'EnableTopicRule', 'GetCOSURL', 'GetUserResourceInfo', 'ListLog', 'ListLogPayload',
  'ListSDKLog', 'PublishAsDevice', 'PublishBroadcastMessage', 'PublishMessage', 'PublishRRPCMessage', 'PublishToDevice',
  'ReplaceTopicRule', 'ResetDeviceState', 'RetryDeviceFirmwareTask', 'SetProductsForbiddenStatus', 'UnbindDevices',
  'UpdateDeviceAvailableState', 'UpdateDeviceShadow', 'UpdateDevicesEnableState', 'UpdateProductDynamicRegister', 'UpdateTopicPolicy',
  'UploadFirmware',
] as const;

/** Official Appendix A examples that contradict Appendix A's own tables: the failing instance paths, and why. */
export const API_DEVIATIONS: Record<string, MappedExample['deviation']> = {
  'api-CreateDevice-response': { paths: ['/Response/LoraMoteType'], why: 'LoraMoteType is int in the Response table but "" in the example' },
  'api-CreateProduct-response': {
    paths: ['/Response/ProductProperties/EncryptionType'],
    why: 'ProductProperties.EncryptionType is a string in Appendix B (and §9.7 stresses it; DescribeProducts\' example has "1") but the number 1 here',
  },
  'api-DescribeFirmwareTaskDistribution-request': { paths: [''], why: 'the example request leaves out TaskId, which the Request table marks required' },
  'api-UpdateTopicPolicy-response': { paths: ['/Response'], why: 'the example answers {"Response": {}} although every response carries RequestId (Appendix A preamble)' },
};

/** Appendix A examples as mapped entries: ordinal 0 is the request, 1 the response. */
export const APPENDIX_EXAMPLES: MappedExample[] = API_ACTIONS.flatMap((action) => [
  { id: `api-${action}-request`, doc: 'protocol' as const, heading: `Appendix A ${action}`, ordinal: 0, ref: `cloud-api.schema.json#/$defs/${action}Request` },
  { id: `api-${action}-response`, doc: 'protocol' as const, heading: `Appendix A ${action}`, ordinal: 1, ref: `cloud-api.schema.json#/$defs/${action}Response` },
].map((e) => {
  const deviation = API_DEVIATIONS[e.id];
  return deviation ? { ...e, deviation } : e;
}));

export const MAPPED_EXAMPLES: MappedExample[] = [...SECTION_EXAMPLES, ...APPENDIX_EXAMPLES];
