/** The cloud management API iotcloud 2018-06-14 (protocol.md §9, Appendix A). */
import type { Requirement } from './types.js';

export const cloudApi = {
  'API-001': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §9.4', title: 'TC3-HMAC-SHA256 requests are authenticated',
    statement: 'A correctly signed request succeeds; a wrong signature gets AuthFailure.SignatureFailure and an unknown SecretId AuthFailure.SecretIdNotFound.' },
  'API-002': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §9.2', title: 'Timestamps more than 5 minutes off are refused',
    statement: 'A request whose X-TC-Timestamp differs from the server time by more than 300 s gets AuthFailure.SignatureExpire.' },
  'API-003': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §9.5', title: 'Response and error shapes',
    statement: 'Every answer is {"Response": {..., "RequestId"}}; a failure carries Response.Error {Code, Message}.' },
  'API-004': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md Appendix A', title: 'Products can be created, described, listed and deleted',
    statement: 'CreateProduct returns a 10-character ProductId; DescribeProduct and DescribeProducts return it; DeleteProduct removes it (ResourceNotFound.ProductNotExist afterwards).' },
  'API-005': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md Appendix A', title: 'Devices can be created, described, listed and deleted',
    statement: 'CreateDevice returns a Base64 DevicePsk that logs in; DescribeDevice(s) return the device; DeleteDevice removes it and its connection.' },
  'API-006': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §11', title: 'Name rules are enforced',
    statement: 'Product names outside [a-zA-Z0-9:_-]{1,32} and device names outside [a-zA-Z0-9:_-]{1,48} are refused with InvalidParameterValue.' },
  'API-007': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §9.5', title: 'Duplicates are refused with their codes',
    statement: 'A second product with the same name gets InvalidParameterValue.ProductAlreadyExist; a second device with the same name InvalidParameterValue.DeviceAlreadyExist.' },
  'API-008': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §9.5', title: 'Unknown actions and missing parameters are refused',
    statement: 'An unknown action gets InvalidAction; a missing required parameter gets MissingParameter (or InvalidParameter).' },
  'API-009': { level: 'MUST', capability: 'cloud-api', source: 'protocol.md §11', title: 'The device quota is enforced',
    statement: 'Creating more devices than the product quota allows gets LimitExceeded.DeviceExceedLimit.' },
  'API-010': { level: 'MUST', capability: 'custom-topic-policies', source: 'protocol.md §2.2', title: 'Topic policy errors',
    statement: 'A duplicate topic class gets InvalidParameterValue.TopicPolicyAlreadyExist; an invalid TopicName or Privilege gets InvalidParameterValue; UpdateTopicPolicy on an unknown class gets ResourceNotFound.TopicPolicyNotExist.' },
} as const satisfies Record<string, Requirement>;
