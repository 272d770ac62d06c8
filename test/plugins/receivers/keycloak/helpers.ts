import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Consumer, LogAttributes, Logger, RawRecord } from '../../../../core/api.js';
import { testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/receivers/keycloak/config.js';
import type { KeycloakConfig } from '../../../../plugins/receivers/keycloak/config.js';
import { KeycloakReceiver } from '../../../../plugins/receivers/keycloak/keycloak.js';
import type { KeycloakTuning } from '../../../../plugins/receivers/keycloak/keycloak.js';
import { waitFor } from '../../../helpers.js';
import type { FakeKeycloak } from './fake-keycloak.js';

export const SECRET = 'kc-s3cret-do-not-log';

/** Fast retries, a short interval, fixed jitter. */
export const FAST: KeycloakTuning = { intervalMs: 10, maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 4, loopMaxBackoffMs: 20, random: () => 0.5 };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'authwire-keycloak-'));
}

/** A consumer that keeps every accepted record; `refuse` (when set) decides per call whether to reject. */
export class Downstream implements Consumer {
  readonly batches: Batch<RawRecord>[] = [];
  calls = 0;
  refuse: ((call: number, batch: Batch) => Error | undefined) | undefined;
  onAccept: ((batch: Batch<RawRecord>) => void) | undefined;

  async consume(batch: Batch): Promise<void> {
    this.calls++;
    const error = this.refuse?.(this.calls, batch);
    if (error !== undefined) throw error;
    this.batches.push(batch as Batch<RawRecord>);
    this.onAccept?.(batch as Batch<RawRecord>);
  }

  get records(): RawRecord[] {
    return this.batches.flatMap((batch) => batch.records);
  }

  /** The delivered events' ids (payload.id, or details.seq for id-less events), in delivery order. */
  ids(format?: string): string[] {
    return this.records
      .filter((record) => format === undefined || record.format === format)
      .map((record) => {
        const payload = record.payload as { id?: string; details?: { seq?: string }; resourcePath?: string };
        return payload.id ?? (payload.details?.seq !== undefined ? `seq-${payload.details.seq}` : `path-${payload.resourcePath ?? '?'}`);
      });
  }
}

/** Keeps every log line and its attributes, at every level, children included. */
export class CapturingLogger implements Logger {
  constructor(
    readonly lines: string[] = [],
    private readonly bindings: LogAttributes = {},
  ) {}
  private log(level: string, message: string, attributes?: LogAttributes): void {
    this.lines.push(`${level} ${message} ${JSON.stringify({ ...this.bindings, ...attributes })}`);
  }
  debug(message: string, attributes?: LogAttributes): void {
    this.log('debug', message, attributes);
  }
  info(message: string, attributes?: LogAttributes): void {
    this.log('info', message, attributes);
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.log('warn', message, attributes);
  }
  error(message: string, attributes?: LogAttributes): void {
    this.log('error', message, attributes);
  }
  child(bindings: LogAttributes): Logger {
    return new CapturingLogger(this.lines, { ...this.bindings, ...bindings });
  }
}

export interface Made {
  receiver: KeycloakReceiver;
  config: KeycloakConfig;
}

export function makeReceiver(
  server: FakeKeycloak,
  downstream: Consumer,
  options: { config?: Partial<KeycloakConfig>; dataDir?: string; logger?: Logger; tuning?: KeycloakTuning; id?: string } = {},
): Made {
  const config: KeycloakConfig = {
    ...createDefaultConfig(),
    base_url: server.base,
    realm: 'acme',
    client_id: 'authwire',
    client_secret: SECRET,
    start_at: '2026-03-01T00:00:00Z',
    page_size: 50,
    ...options.config,
  };
  const settings = testSettings('receiver', options.id ?? 'keycloak/acme', {
    tenant: 'acme',
    dataDir: options.dataDir ?? tempDir(),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  return { receiver: new KeycloakReceiver(settings, config, downstream, { ...FAST, ...options.tuning }), config };
}

/** Waits until `n` more passes have completed (a pass has completed once the next one started). */
export async function passes(receiver: KeycloakReceiver, n: number, timeoutMs = 8000): Promise<void> {
  const start = receiver.metrics()['polls']!;
  await waitFor(() => receiver.metrics()['polls']! >= start + n + 1, timeoutMs, `${n} more passes`);
}

/** The expected ids, n0..n1 inclusive, with a prefix. */
export function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`${prefix}${String(n).padStart(5, '0')}`);
  return out;
}
