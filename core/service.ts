import { metrics } from '@opentelemetry/api';
import { join } from 'node:path';
import type { Component, ComponentKind, CreateSettings, DeadLetter, Exporter, ExporterFactory, Host, Logger, Processor, Receiver } from './api.js';
import type { ComponentSpec, PipelineSpec, ServiceConfig } from './config/load.js';
import { CountingConsumer, FanOut, ReceiverOutput, newStats } from './counting.js';
import type { ComponentStats, FanOutTarget } from './counting.js';
import { errorCode, errorMessage } from './errors.js';

export interface ServiceOptions {
  logger: Logger;
  dataDir: string;
  workers: number;
}

interface Instance {
  readonly label: string;
  readonly kind: ComponentKind;
  readonly component: Component;
  readonly stats: ComponentStats;
}

/** At most one log line per component and error code in this period; the rest are counted. */
const ERROR_LOG_INTERVAL_MS = 10_000;

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
  private state: State = 'new';
  private stopping: Promise<Error[]> | undefined;

  constructor(config: ServiceConfig, options: ServiceOptions) {
    this.config = config;
    this.options = options;
  }

  /** Every component's counters, in start order. */
  stats(): ComponentStats[] {
    return [...this.receivers, ...this.processors.flat(), ...this.exporters].map((instance) => instance.stats);
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

  private hostFor(instance: Instance): Host {
    const logger = this.options.logger;
    // Every error is counted; the log gets the first of each code, then one line per interval
    // with how many were not logged, so a peer that is down does not flood stderr.
    const lastLogged = new Map<string, { at: number; suppressed: number }>();
    return {
      reportError(error: unknown): void {
        instance.stats.errors += 1;
        const code = errorCode(error);
        const now = Date.now();
        const last = lastLogged.get(code);
        if (last && now - last.at < ERROR_LOG_INTERVAL_MS) {
          last.suppressed += 1;
          return;
        }
        const attributes: Record<string, unknown> = { code, tenant: instance.stats.tenant };
        if (last && last.suppressed > 0) attributes.unlogged_since_last = last.suppressed;
        lastLogged.set(code, { at: now, suppressed: 0 });
        logger.warn(`${instance.kind} ${instance.label}: ${errorMessage(error)}`, attributes);
      },
      deadLetter: (tenant: string, letters: readonly DeadLetter[]): Promise<void> => {
        // TODO(dead-letter): replaced by the per-tenant dead-letter file writer.
        instance.stats.deadLettered += letters.length;
        for (const letter of letters) logger.warn(`dead letter from ${instance.label}: ${letter.reason}: ${letter.detail}`, { tenant });
        return Promise.resolve();
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
    this.state = 'stopped';
    return errors;
  }
}

