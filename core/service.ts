import { metrics } from '@opentelemetry/api';
import { join } from 'node:path';
import type { Component, ComponentKind, CreateSettings, DeadLetter, Exporter, ExporterFactory, Host, Logger, Processor, Receiver } from './api.js';
import type { ComponentSpec, PipelineSpec, ServiceConfig } from './config/load.js';
import { CountingConsumer, FanOut, ReceiverOutput, newStats } from './counting.js';
import type { ComponentStats, FanOutTarget } from './counting.js';
import { DeadLetterWriter, stringOf } from './dead-letter.js';
import { PermanentError, RetryableError, errorCode, errorMessage } from './errors.js';
import { LogThrottle } from './log-throttle.js';

export interface ServiceOptions {
  logger: Logger;
  /** The host's data directory: components' folders and each tenant's dead-letter file live under `<dataDir>/<tenant>/`. */
  dataDir: string;
  workers: number;
  /** The time written into dead letters; tests pass a fixed one. */
  clock?: () => Date;
}

interface Instance {
  readonly label: string;
  readonly kind: ComponentKind;
  readonly component: Component;
  readonly stats: ComponentStats;
}

/** At most one log line per component and error code (or dead-letter reason) in this period; the rest are counted. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Distinct dead-letter reasons counted per component; later ones are counted under
 * OTHER_REASONS, so a component that puts variable text in `reason` cannot grow the counters
 * (and the throttle's table) without bound. The file keeps every reason as given.
 */
const MAX_DEAD_LETTER_REASONS = 100;
const OTHER_REASONS = '_other';
/** Characters of a dead letter's detail shown in the log; the file has all of it. */
const MAX_LOGGED_DETAIL = 500;

/** Adds to a per-reason counter; `__proto__` is an own property like any other reason. */
function addReason(reasons: Record<string, number>, reason: string, count: number): void {
  const before = Object.hasOwn(reasons, reason) ? reasons[reason]! : 0;
  Object.defineProperty(reasons, reason, { value: before + count, writable: true, enumerable: true, configurable: true });
}

type State = 'new' | 'built' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A folder name that cannot climb out of the data directory. */
function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
}

/**
 * The running graph built from a ServiceConfig.
 *
 * - Receivers and exporters: one instance per id, however many pipelines use it.
 * - Processors: one instance per pipeline (as in the OpenTelemetry Collector), because each
 *   pipeline's processor chain ends in that pipeline's own exporters.
 * - Start: exporters, then each pipeline's processors from last to first, then receivers, so
 *   nothing produces into a component that is not ready. Shutdown is the reverse, and each
 *   component drains before the next one stops.
 */
export class Service {
  private readonly config: ServiceConfig;
  private readonly options: ServiceOptions;
  private readonly exporters: Instance[] = [];
  private readonly processors: Instance[][] = [];
  private readonly receivers: Instance[] = [];
  /** One dead-letter writer per tenant, shared by the tenant's components; created at its first letter. */
  private readonly deadLetterWriters = new Map<string, DeadLetterWriter>();
  private deadLettersClosed = false;
  private state: State = 'new';
  private stopping: Promise<Error[]> | undefined;

  constructor(config: ServiceConfig, options: ServiceOptions) {
    this.config = config;
    this.options = options;
  }

  /** Every component's counters, in start order. */
  stats(): ComponentStats[] {
    return [...this.receivers, ...this.processors.flat(), ...this.exporters].map((instance) => {
      const own = instance.component.metrics;
      if (own !== undefined) {
        try {
          instance.stats.metrics = own.call(instance.component);
        } catch {
          // A plugin's broken counters must not take the admin port or the status line down.
          instance.stats.metrics = undefined;
        }
      }
      return instance.stats;
    });
  }

  private settingsFor(spec: ComponentSpec, pipeline?: PipelineSpec): CreateSettings {
    const folder = safeSegment(pipeline ? `${spec.id}@${pipeline.id}` : spec.id);
    return {
      id: spec.id,
      kind: spec.kind,
      type: spec.type,
      tenant: spec.tenant,
      pipeline: pipeline?.id,
      logger: this.options.logger.child({ kind: spec.kind, id: spec.id, tenant: spec.tenant, ...(pipeline ? { pipeline: pipeline.id } : {}) }),
      meter: metrics.getMeter(`authwire/${spec.kind}/${spec.type}`),
      dataDir: join(this.options.dataDir, safeSegment(spec.tenant), `${spec.kind}s`, folder),
      workers: this.options.workers,
    };
  }

  /** Creates every component (nothing is started). Throws when a factory's create fails. */
  async build(): Promise<void> {
    if (this.state !== 'new') throw new Error('the service is already built');
    const exporterInputs = new Map<string, FanOutTarget>();
    for (const spec of this.config.exporters.values()) {
      const exporter = (await (spec.factory as ExporterFactory).create(this.settingsFor(spec), structuredClone(spec.config) as never)) as Exporter;
      const stats = newStats(spec.id, 'exporter', spec.tenant);
      const mutatesData = exporter.mutatesData === true;
      exporterInputs.set(spec.id, { consumer: new CountingConsumer(exporter, stats, mutatesData), mutatesData });
      this.exporters.push({ label: spec.id, kind: 'exporter', component: exporter, stats });
    }

    const pipelineHeads = new Map<string, FanOutTarget>();
    for (const pipeline of this.config.pipelines.values()) {
      const tail = pipeline.exporters.map((id) => exporterInputs.get(id)!);
      let next: FanOutTarget = tail.length === 1 ? tail[0]! : { consumer: new FanOut(tail), mutatesData: false };
      const chain: Instance[] = [];
      for (const id of [...pipeline.processors].reverse()) {
        const spec = this.config.processors.get(id)!;
        const processor = (await spec.factory.create(this.settingsFor(spec, pipeline), structuredClone(spec.config) as never, next.consumer)) as Processor;
        const stats = newStats(spec.id, 'processor', spec.tenant, pipeline.id);
        // Processors change records unless they say they do not.
        const mutatesData = processor.mutatesData !== false;
        next = { consumer: new CountingConsumer(processor, stats, mutatesData), mutatesData };
        chain.unshift({ label: `${spec.id} (${pipeline.id})`, kind: 'processor', component: processor, stats });
      }
      this.processors.push(chain);
      pipelineHeads.set(pipeline.id, next);
    }

    for (const spec of this.config.receivers.values()) {
      const heads = [...this.config.pipelines.values()].filter((p) => p.receivers.includes(spec.id)).map((p) => pipelineHeads.get(p.id)!);
      const stats = newStats(spec.id, 'receiver', spec.tenant);
      const output = new ReceiverOutput(new FanOut(heads), stats);
      const receiver = (await spec.factory.create(this.settingsFor(spec), structuredClone(spec.config) as never, output)) as Receiver;
      this.receivers.push({ label: spec.id, kind: 'receiver', component: receiver, stats });
    }
    this.state = 'built';
  }

  private deadLetterWriter(tenant: string): DeadLetterWriter {
    let writer = this.deadLetterWriters.get(tenant);
    if (writer === undefined) {
      // A writer made after the others were closed would never be closed itself.
      if (this.deadLettersClosed) throw new RetryableError('dead_letter_unavailable', `dead letters of tenant ${tenant}: the service has stopped`);
      writer = new DeadLetterWriter({ dataDir: this.options.dataDir, tenant, clock: this.options.clock, logger: this.options.logger });
      this.deadLetterWriters.set(tenant, writer);
    }
    return writer;
  }

  private hostFor(instance: Instance): Host {
    const logger = this.options.logger;
    const stats = instance.stats;
    // Everything is counted; the log gets the first of each error code and of each dead-letter
    // reason, then one line per interval with how many were not logged.
    const errorLog = new LogThrottle(ERROR_LOG_INTERVAL_MS);
    const deadLetterLog = new LogThrottle(ERROR_LOG_INTERVAL_MS);
    const source = { component: stats.id, pipeline: stats.pipeline };
    return {
      reportError(error: unknown): void {
        stats.errors += 1;
        const code = errorCode(error);
        const unlogged = errorLog.admit(code);
        if (unlogged === undefined) return;
        const attributes: Record<string, unknown> = { code, tenant: stats.tenant };
        if (unlogged > 0) attributes.unlogged_since_last = unlogged;
        logger.warn(`${instance.kind} ${instance.label}: ${errorMessage(error)}`, attributes);
      },
      deadLetter: async (tenant: string, letters: readonly DeadLetter[]): Promise<void> => {
        if (tenant !== stats.tenant) {
          throw new PermanentError('tenant_mismatch', `${instance.kind} ${instance.label} serves tenant "${stats.tenant}" but dead-lettered records of tenant "${tenant}"`);
        }
        if (letters.length === 0) return;
        const writer = this.deadLetterWriter(tenant);
        await writer.write(source, letters);
        // Counted once written: records whose letters could not be written are refused upstream instead.
        stats.deadLettered += letters.length;
        const byReason = new Map<string, { first: DeadLetter; count: number }>();
        for (const letter of letters) {
          const seen = byReason.get(letter.reason);
          if (seen) seen.count += 1;
          else byReason.set(letter.reason, { first: letter, count: 1 });
        }
        for (const [reason, { first, count }] of byReason) {
          const key = Object.hasOwn(stats.deadLetterReasons, reason) || Object.keys(stats.deadLetterReasons).length < MAX_DEAD_LETTER_REASONS ? reason : OTHER_REASONS;
          addReason(stats.deadLetterReasons, key, count);
          const unlogged = deadLetterLog.admit(key, count);
          if (unlogged === undefined) continue;
          const detail = stringOf(first.detail);
          // The detail goes in an attribute, which the logger quotes: it may hold record text.
          const attributes: Record<string, unknown> = {
            reason,
            detail: detail.length > MAX_LOGGED_DETAIL ? `${detail.slice(0, MAX_LOGGED_DETAIL)}…` : detail,
            records: count,
            tenant,
            file: writer.path,
          };
          if (unlogged > 0) attributes.unlogged_since_last = unlogged;
          logger.warn(`${instance.kind} ${instance.label}: dead letter`, attributes);
        }
      },
    };
  }

  /** Starts exporters, processors, then receivers. On a failure, stops what started and throws. */
  async start(): Promise<void> {
    if (this.state === 'new') await this.build();
    if (this.state !== 'built') throw new Error(`cannot start a service that is ${this.state}`);
    this.state = 'starting';
    const order = [...this.exporters, ...this.processors.flatMap((chain) => [...chain].reverse()), ...this.receivers];
    for (const instance of order) {
      try {
        await instance.component.start(this.hostFor(instance));
      } catch (error) {
        await this.shutdown();
        throw new Error(`${instance.kind} ${instance.label} failed to start: ${errorMessage(error)}`, { cause: error });
      }
    }
    this.state = 'running';
    this.options.logger.info('pipelines running', { pipelines: this.config.pipelines.size, components: order.length });
  }

  /**
   * Stops receivers, then processors (first to last in each pipeline), then exporters, each
   * draining before the next. Idempotent: every call returns the same outcome. Resolves with the
   * errors components raised while shutting down (logged, never thrown).
   */
  shutdown(): Promise<Error[]> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<Error[]> {
    this.state = 'stopping';
    const errors: Error[] = [];
    const stop = async (instances: readonly Instance[]): Promise<void> => {
      const results = await Promise.allSettled(instances.map((instance) => instance.component.shutdown()));
      results.forEach((result, index) => {
        if (result.status === 'rejected') {
          const instance = instances[index]!;
          const error = new Error(`${instance.kind} ${instance.label} failed to shut down: ${errorMessage(result.reason)}`, { cause: result.reason });
          this.options.logger.error(error.message);
          errors.push(error);
        }
      });
    };
    // Every created component is shut down, started or not: shutdown is safe without start.
    await stop(this.receivers);
    const longest = Math.max(0, ...this.processors.map((chain) => chain.length));
    for (let position = 0; position < longest; position++) {
      await stop(this.processors.map((chain) => chain[position]).filter((instance): instance is Instance => instance !== undefined));
    }
    await stop(this.exporters);
    // Last: every component above may have dead-lettered while draining.
    this.deadLettersClosed = true;
    const writers = [...this.deadLetterWriters.values()];
    const closed = await Promise.allSettled(writers.map((writer) => writer.close()));
    closed.forEach((result, index) => {
      if (result.status === 'rejected') {
        const error = new Error(`dead letters of tenant ${writers[index]!.tenant} failed to close: ${errorMessage(result.reason)}`, { cause: result.reason });
        this.options.logger.error(error.message);
        errors.push(error);
      }
    });
    this.state = 'stopped';
    return errors;
  }
}

