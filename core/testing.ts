import { metrics } from '@opentelemetry/api';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, ComponentKind, Consumer, CreateSettings, DeadLetter, Host } from './api.js';
import { nopLogger } from './logger.js';

/** Settings for creating a component outside a running host (plugin tests, benchmarks). */
export function testSettings(kind: ComponentKind, id: string, overrides: Partial<CreateSettings> = {}): CreateSettings {
  const type = id.split('/')[0]!;
  return {
    id,
    kind,
    type,
    tenant: 'test',
    logger: nopLogger,
    meter: metrics.getMeter('authwire-test'),
    dataDir: join(tmpdir(), 'authwire-test', id.replace(/[^\w.-]/g, '_')),
    workers: 1,
    ...overrides,
  };
}

/** A consumer that keeps every batch it accepts, in order. */
export class CollectingConsumer implements Consumer {
  readonly batches: Batch[] = [];

  async consume(batch: Batch): Promise<void> {
    this.batches.push(batch);
  }

  get records(): unknown[] {
    return this.batches.flatMap((batch) => batch.records);
  }
}

/** A host that keeps reported errors and dead letters so a test can assert on them. */
export class RecordingHost implements Host {
  readonly errors: unknown[] = [];
  readonly deadLetters: (DeadLetter & { tenant: string })[] = [];
  reportError(error: unknown): void {
    this.errors.push(error);
  }
  async deadLetter(tenant: string, letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) this.deadLetters.push({ tenant, ...letter });
  }
}
