/**
 * The plugin contracts: the whole surface a receiver, processor or exporter is written against.
 *
 * Rules (kept in full here because third-party plugins build against them):
 *
 * 1. A plugin module is an ES module with two named exports: `apiVersion` (the number below it was
 *    built for) and `factories` (an array of Factory objects). Importing it has no side effects.
 * 2. A Factory is a plain object. `configSchema` is a JSON schema (draft-07) of the user's config;
 *    defaults in it are applied; keys not declared in `properties` are errors (the host adds
 *    `additionalProperties: false` to every object schema that does not say otherwise).
 *    `createDefaultConfig()` returns a fresh object each call; the user's config is deep-merged
 *    over it before validation. Keys listed in `required` are those a user must always supply.
 * 3. `create(settings, config, next)` builds a component but starts nothing: no timers, sockets,
 *    threads or files before `start()`. Receivers and processors receive `next`; exporters do not.
 * 4. The host starts exporters first and receivers last, and shuts down in the opposite order.
 *    `shutdown()` drains what the component holds (a receiver awaits its in-flight `consume`
 *    calls, a processor flushes, an exporter delivers or persists its queue), is idempotent, and is
 *    safe to call without `start()`.
 * 5. `consume(batch)` resolves once the batch is accepted downstream (for an exporter: accepted by
 *    its queue, durably where the queue is persistent). It rejects with an error whose `retryable`
 *    property says whether sending the same batch again can help. A receiver commits a checkpoint
 *    only after `consume` resolves; never call `consume` fire-and-forget.
 * 6. A batch carries the records of exactly one tenant. A consumer that changes records in place
 *    declares `mutatesData: true`; fan-out then hands it its own copy, so no other consumer sees
 *    the change. Consumers that only read share one batch and must not modify it.
 * 7. After `start()`, bad input is counted and reported (`host.reportError`, dead-letter), never
 *    thrown out of a timer or socket handler.
 */
import type { Meter } from '@opentelemetry/api';

/** The contract version. A plugin declaring another major version is refused at load time. */
export const API_VERSION = 1;

export type ComponentKind = 'receiver' | 'processor' | 'exporter';

/** How settled a component is, as in the OpenTelemetry Collector's stability levels. */
export type Stability = 'development' | 'alpha' | 'beta' | 'stable' | 'deprecated';

/**
 * A record as a receiver got it, before `normalize`. `format` names the vendor format
 * (`keycloak.event`, `keycloak.admin_event`, `mfa_api`, `okta`, `entra.signin`, `entra.audit`,
 * `auth0`, `linux.auth`, `windows.security`, `mapping.<name>`). `payload` is JSON text or a text
 * line (string), bytes, or an already-parsed JSON value.
 *
 * `attributes` (optional, additive) is metadata the transport carried beside the payload, which is
 * not part of the vendor event: plain JSON values under the transport's own attribute keys. The
 * otlp receiver puts there the log record's attributes merged over its scope's and resource's
 * (`service.name`, `host.name`, `otel.scope.name`, ...). Receivers without such metadata leave it
 * out; consumers must not require it, and must not modify it (fan-out shares records).
 */
export interface RawRecord {
  format: string;
  payload: unknown;
  /** When authwire received it, epoch milliseconds. */
  observedTime: number;
  /** The component id of the receiver that produced it. */
  source: string;
  /** Transport metadata beside the payload (OTLP attributes); see above. */
  attributes?: Record<string, unknown>;
}

/**
 * A normalized OCSF 1.8.0 event (see DESIGN.md). Only the fields every class has are typed here;
 * the full shape per class belongs to the normalizer.
 */
export interface OcsfEvent {
  class_uid: number;
  activity_id: number;
  type_uid: number;
  category_uid: number;
  severity_id: number;
  time: number;
  metadata: { product: { name: string; vendor_name?: string }; version: string; uid?: string; event_code?: string; tenant_uid: string; [key: string]: unknown };
  [key: string]: unknown;
}

export type PipelineRecord = RawRecord | OcsfEvent;

/** Records of one tenant travelling together; batches, not single records, cross every boundary. */
export interface Batch<R = PipelineRecord> {
  readonly tenant: string;
  records: R[];
}

export interface Consumer {
  consume(batch: Batch): Promise<void>;
}

/**
 * A record that could not be processed, kept with why. Nothing is silently dropped: a component
 * that cannot use a record hands it to `host.deadLetter` instead.
 */
export interface DeadLetter {
  /** Why, as a stable lower_snake_case code (`malformed_json`, `missing_time`, ...); counted per code. */
  readonly reason: string;
  /** Human-readable detail (which field, what value). */
  readonly detail: string;
  /** The record's format, when known. */
  readonly format: string | undefined;
  /** The record as received: text, bytes or a parsed value; stored as text (bytes as base64). */
  readonly original: unknown;
  /** When the record was received, epoch ms. */
  readonly observedTime: number;
}

/** What the running host offers a component. */
export interface Host {
  /** Report a problem that happened after start (counted and logged; never stops the process). */
  reportError(error: unknown): void;
  /**
   * Keep records that cannot be processed, with their reasons, in the tenant's dead-letter
   * output. Resolves once they are written; rejects (retryable) only when the dead-letter output
   * itself cannot be written, so the caller can refuse the batch rather than lose records.
   * `tenant` is the component's own tenant (the batch's); any other is refused (permanent,
   * `tenant_mismatch`), as a batch of another tenant is.
   */
  deadLetter(tenant: string, letters: readonly DeadLetter[]): Promise<void>;
}

export interface Component {
  start(host: Host): Promise<void>;
  shutdown(): Promise<void>;
  /** True when `consume` changes records in place; fan-out then gives this consumer a copy. */
  readonly mutatesData?: boolean;
  /**
   * The component's own counters and gauges (an exporter's queue size, a detector's late
   * events), flat `name: number` pairs in lower_snake_case. Optional; when present the host shows
   * them under `metrics` in the admin port's `/metrics`. Must be cheap: it is read on each scrape.
   */
  metrics?(): Readonly<Record<string, number>>;
}

export type Receiver = Component;
export interface Processor extends Component, Consumer {}
export interface Exporter extends Component, Consumer {}

export type LogAttributes = Record<string, unknown>;

/** Structured logger. Attributes whose key looks like a secret are redacted by the host. */
export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  child(bindings: LogAttributes): Logger;
}

/** What the host injects into `create`, as opposed to `config`, which the user wrote. */
export interface CreateSettings {
  /** The component id, `type[/name]`. */
  readonly id: string;
  readonly kind: ComponentKind;
  readonly type: string;
  /** The tenant of every pipeline this component serves. */
  readonly tenant: string;
  /** The pipeline id for processors (instantiated once per pipeline); undefined otherwise. */
  readonly pipeline?: string;
  readonly logger: Logger;
  /** An OpenTelemetry meter; a no-op unless the process registers a MeterProvider. */
  readonly meter: Meter;
  /** A directory private to this component and tenant, for checkpoints and queues. Not created until asked for. */
  readonly dataDir: string;
  /** The host's worker-thread budget (`--workers`). */
  readonly workers: number;
}

/** A JSON schema (draft-07) object. */
export type JsonSchema = Record<string, unknown>;

interface FactoryBase<C> {
  readonly kind: ComponentKind;
  /** lower_snake_case; equals the plugin's folder name for built-ins. */
  readonly type: string;
  readonly stability: Stability;
  readonly description: string;
  readonly configSchema: JsonSchema;
  createDefaultConfig(): C;
}

export interface ReceiverFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'receiver';
  create(settings: CreateSettings, config: C, next: Consumer): Receiver | Promise<Receiver>;
}

export interface ProcessorFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'processor';
  create(settings: CreateSettings, config: C, next: Consumer): Processor | Promise<Processor>;
}

export interface ExporterFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'exporter';
  create(settings: CreateSettings, config: C): Exporter | Promise<Exporter>;
}

export type Factory = ReceiverFactory | ProcessorFactory | ExporterFactory;

/** What a plugin module exports. */
export interface PluginModule {
  readonly apiVersion: number;
  readonly factories: readonly Factory[];
}
