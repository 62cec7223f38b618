// @lormas/protocol: the contract between a Lormas server and its agents, with no transport:
// schemas, the procedure table, codes, errors and the version. The link's two ends are in
// `@lormas/protocol/agent` and `@lormas/protocol/server`.
export { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, isCompatibleProtocol, protocolAtLeast, protocolMajor } from './version.js';
export { CloseCode, closeAction, closeCodeName, closeReason, type CloseCodeName, type CloseCodeNumber } from './closeCodes.js';
export { ErrorCode, type ErrorCodeName } from './errorCodes.js';
export { AgentError, toValidationIssues, type AgentErrorOptions } from './errors.js';
export * from './schemas/index.js';
export { agentContract, type AgentContract } from './contract/agentContract.js';
export {
  flattenContract,
  isProcedure,
  type CallProcedure,
  type CallerInputOf,
  type ContractGroup,
  type InputOf,
  type Procedure,
  type ProcedureKind,
  type SubscriptionProcedure,
} from './contract/procedure.js';
export { contractJsonSchema, wireSchemas } from './jsonSchema.js';
export { AgentFrame, CallFrame, ErrorFrame, ReconnectFrame, RequestId, ResultFrame, ServerFrame, StopFrame, WireError } from './wire/frames.js';
export { RpcCode, type RpcCodeName } from './wire/rpcCodes.js';
export { parseReleaseKey, releaseKeyFingerprint, encodeReleaseKey, verifyManifestSignature, type ReleaseKey } from './release/releaseKey.js';
export { compareAgentVersions, isOrderableAgentVersion } from './release/compareAgentVersions.js';
