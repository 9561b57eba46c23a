// Public surface of src/api: the HTTP API framework every Shoal daemon serves (Docker Engine API
// conventions: version prefixes and negotiation, headers, error bodies) and its small client.
export {
  ApiClient,
  type ApiClientOptions,
  type ApiClientResponse,
  type QueryValues,
  type RequestOptions,
} from './client.ts';
export {
  EngineProxy,
  type EngineProxyOptions,
  EngineUnavailableError,
  isEnginePath,
} from './engine-proxy.ts';
export {
  ApiError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  type HttpError,
  NotFoundError,
  NotImplementedError,
  NotManagerError,
  type NotManagerErrorOptions,
  type NotManagerReason,
  toHttpError,
  UnavailableError,
} from './errors.ts';
export {
  type DockerEvent,
  EventFilter,
  EventLog,
  EventRecorder,
  encodeEvent,
} from './events/index.ts';
export {
  BodyTooLargeError,
  DEFAULT_BODY_BYTES_MAX,
  describeJsonError,
  encodeFilters,
  isJsonContentType,
  jsonErrorOffset,
  parseFilters,
  parseJsonBody,
  queryBool,
  queryInt,
  readBody,
} from './request.ts';
export {
  type ApiResponse,
  empty,
  type Handler,
  type HttpMethod,
  json,
  type RequestContext,
  type RouteDefinition,
  type RouteMatch,
  Router,
  text,
} from './router.ts';
export {
  AddressInUseError,
  type ApiLogger,
  type ApiServer,
  type ApiServerOptions,
  type CloseOptions,
  createApiServer,
  type PeerCheck,
  type ServerInfo,
  type SwarmPingStatus,
  type TcpListener,
  versionBody,
} from './server.ts';
export {
  DEFAULT_FRAME_PAYLOAD_BYTES_MAX,
  encodeFrame,
  encodeFrameHeader,
  endStream,
  FRAME_HEADER_BYTES,
  type Frame,
  JsonLinesWriter,
  logsContentType,
  MultiplexedStreamParser,
  MultiplexedStreamWriter,
  StreamClosedError,
  StreamId,
  type StreamResponseOptions,
  startJsonLines,
  startMultiplexedStream,
  writeWithBackpressure,
} from './streaming.ts';
export {
  compareVersions,
  DEFAULT_API_VERSION,
  MIN_API_VERSION,
  minVersion,
  negotiateVersion,
  splitVersionPrefix,
  versionAtLeast,
  versionGreaterThan,
  versionLessThan,
} from './version.ts';
