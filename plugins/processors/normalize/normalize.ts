import type { Batch, Consumer, CreateSettings, DeadLetter, Host, PipelineRecord, Processor, RawRecord } from '../../../core/api.js';
import { PermanentError } from '../../../core/errors.js';
import type { NormalizeConfig } from './config.js';
import type { FormatMapper, MapContext } from './mapper.js';
import { MappingError, REASON } from './mapper.js';
import { builtinMapperTable } from './mappers/index.js';
import { createDeclarativeMapper } from './mappers/declarative.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The mappers a normalize processor uses: the built-in ones plus its declarative mappings. */
export function mapperTable(config: NormalizeConfig): Map<string, FormatMapper> {
  const table = builtinMapperTable();
  for (const [name, definition] of Object.entries(config.mappings)) {
    const mapper = createDeclarativeMapper(name, definition);
    table.set(mapper.format, mapper);
  }
  return table;
}

/** A mutable context reused for every record of a batch (mappers must not keep it). */
interface MutableContext {
  tenant: string;
  observedTime: number;
  format: string;
}

function isOcsf(record: PipelineRecord): boolean {
  return typeof (record as { class_uid?: unknown }).class_uid === 'number';
}

/**
 * The payload as a JSON value: text and bytes are parsed, parsed values pass as they are.
 * MappingError `malformed_json` when it does not parse.
 */
export function parseJsonPayload(payload: unknown): unknown {
  if (typeof payload === 'string') {
    try {
      return JSON.parse(payload);
    } catch (error) {
      throw new MappingError(REASON.MALFORMED_JSON, `payload is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (payload instanceof Uint8Array) {
    let decoded: string;
    try {
      decoded = utf8.decode(payload);
    } catch {
      throw new MappingError(REASON.MALFORMED_JSON, 'payload bytes are not valid UTF-8');
    }
    return parseJsonPayload(decoded);
  }
  return payload;
}

/** The payload as one text line. MappingError `not_text` for anything but text or UTF-8 bytes. */
export function textPayload(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) {
    try {
      return utf8.decode(payload);
    } catch {
      throw new MappingError(REASON.NOT_TEXT, 'payload bytes are not valid UTF-8');
    }
  }
  throw new MappingError(REASON.NOT_TEXT, `payload is ${payload === null ? 'null' : typeof payload}, not a text line`);
}

/** Maps one raw record, or returns the dead letter saying why it cannot be mapped. */
export function mapRecord(mappers: ReadonlyMap<string, FormatMapper>, record: RawRecord, context: MapContext): PipelineRecord | DeadLetter {
  const mapper = mappers.get(record.format);
  try {
    if (mapper === undefined) throw new MappingError(REASON.UNKNOWN_FORMAT, `no mapper for format ${JSON.stringify(record.format)}`);
    const value = mapper.payload === 'json' ? parseJsonPayload(record.payload) : textPayload(record.payload);
    return mapper.map(value, context);
  } catch (error) {
    const mapping = error instanceof MappingError;
    return {
      // A mapper that throws anything else has a bug; the record is still kept, under its own reason.
      reason: mapping ? error.reason : 'mapper_error',
      detail: mapping ? error.message : `${record.format} mapper failed: ${(error as Error)?.message ?? String(error)}`,
      format: record.format,
      original: record.payload,
      observedTime: record.observedTime,
    };
  }
}

function isDeadLetter(value: PipelineRecord | DeadLetter): value is DeadLetter {
  return typeof (value as DeadLetter).reason === 'string' && 'original' in value;
}

/**
 * The `normalize` processor: raw vendor records in, OCSF events out. Records already in OCSF pass
 * through; records that cannot be mapped go to the tenant's dead-letter output with their reason.
 * It builds new batches and never changes its input (mutatesData false).
 */
export class NormalizeProcessor implements Processor {
  readonly mutatesData = false;
  private readonly mappers: Map<string, FormatMapper>;
  private host: Host | undefined;
  private stopped = false;
  private readonly context: MutableContext = { tenant: '', observedTime: 0, format: '' };

  constructor(
    private readonly settings: CreateSettings,
    config: NormalizeConfig,
    private readonly next: Consumer,
  ) {
    this.mappers = mapperTable(config);
  }

  async start(host: Host): Promise<void> {
    this.host = host;
  }

  async shutdown(): Promise<void> {
    // Nothing is buffered: every consume finishes before it resolves.
    this.stopped = true;
  }

  async consume(batch: Batch): Promise<void> {
    const host = this.host;
    if (host === undefined || this.stopped) throw new PermanentError(this.stopped ? 'shut_down' : 'not_started', `${this.settings.id} is not running`);
    const events: PipelineRecord[] = [];
    let letters: DeadLetter[] | undefined;
    const context = this.context;
    context.tenant = batch.tenant;
    for (const record of batch.records) {
      if (isOcsf(record)) {
        events.push(record);
        continue;
      }
      const raw = record as RawRecord;
      context.observedTime = raw.observedTime;
      context.format = raw.format;
      const result = mapRecord(this.mappers, raw, context);
      if (isDeadLetter(result)) (letters ??= []).push(result);
      else events.push(result);
    }
    // Dead letters are written first: if that fails the batch is refused, not half-lost.
    if (letters !== undefined) await host.deadLetter(batch.tenant, letters);
    if (events.length > 0) await this.next.consume({ tenant: batch.tenant, records: events });
  }
}
