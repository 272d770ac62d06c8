/**
 * authwire's public API: what plugins build against and what embedders call. Everything a
 * third-party plugin needs is exported here and nowhere else; see docs/plugins.md.
 */
export { API_VERSION } from './api.js';
export type {
  Batch, Component, ComponentKind, Consumer, CreateSettings, DeadLetter, Exporter, ExporterFactory, Factory, Host, JsonSchema,
  LogAttributes, Logger, OcsfEvent, PipelineRecord, PluginModule, Processor, ProcessorFactory, RawRecord, Receiver,
  ReceiverFactory, Stability,
} from './api.js';
export { AuthwireError, PermanentError, RetryableError, errorCode, errorMessage, isRetryable } from './errors.js';
export { isDuration, parseDuration } from './duration.js';
export { createLogger, nopLogger } from './logger.js';
export type { LogLevel } from './logger.js';
export { CollectingConsumer, RecordingHost, testSettings } from './testing.js';

// The shared exporter helper: write a Sender (encode + send), get batching, a bounded queue,
// retry with backoff and Retry-After, timeouts, dead-lettering and counters (docs/plugins.md).
export { QueuedExporter } from './exporter/queued-exporter.js';
export type { ExporterMetrics, QueuedExporterOptions } from './exporter/queued-exporter.js';
export { FatalSendError, isFatalSendError } from './exporter/sender.js';
export type { ExportRequest, RejectedItem, SendOutcome, Sender } from './exporter/sender.js';
export { exporterHelperDefaults, exporterHelperSchemaProperties, resolveExporterHelperConfig } from './exporter/config.js';
export type { ExporterHelperConfig, ResolvedExporterHelperConfig } from './exporter/config.js';
export { backoffDelay } from './exporter/backoff.js';
export type { BackoffPolicy } from './exporter/backoff.js';

// The shared poller for pull receivers: atomic checkpoints, overlap de-duplication, HTTP with
// rate limits and backoff, OAuth client-credentials tokens, the poll loop with lag.
export { CheckpointStore } from './poller/checkpoint.js';
export { OverlapDeduper, contentId } from './poller/dedup.js';
export type { DedupState, Selection } from './poller/dedup.js';
export { PollHttpClient, linkTarget, rateLimitResetMs, readBoundedText, retryAfterMs } from './poller/http.js';
export type { JsonPage, PollHttpOptions, TokenProvider } from './poller/http.js';
export { ClientCredentialsToken, safeUrl } from './poller/oauth.js';
export type { ClientCredentialsOptions } from './poller/oauth.js';
export { PollLoop } from './poller/loop.js';
export type { PollLoopOptions, PollMetrics } from './poller/loop.js';

// Push receivers: where to listen, and TLS.
export { loadServerTls, parseEndpoint, serverTlsSchema } from './listener/endpoint.js';
export type { ListenAddress, ServerTlsConfig } from './listener/endpoint.js';

// Embedding the host.
export { ConfigError, formatIssue } from './config/issues.js';
export type { ConfigIssue } from './config/issues.js';
export { loadConfig } from './config/load.js';
export type { ComponentSpec, LoadOptions, PipelineSpec, ServiceConfig } from './config/load.js';
export { Registry } from './registry.js';
export { Service } from './service.js';
export type { ServiceOptions } from './service.js';
export type { ComponentStats } from './counting.js';
export { loadHostSettings } from './settings.js';
export type { HostSettings } from './settings.js';
export { createBuiltinRegistry, builtinFactories } from '../plugins/index.js';
