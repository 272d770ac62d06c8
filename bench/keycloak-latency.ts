/**
 * End-to-end latency of the keycloak receiver at a 1 s poll interval: from an event appearing on
 * a (fake, local) Keycloak to its arrival at the consumer. Prints p50/p90/p99/max; the target is
 * p99 < 2 s (one interval plus a request).
 *
 * Not a tinybench task (one measurement takes seconds of wall time, not operations per second),
 * so bench/run.ts does not pick it up; run it on its own:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/keycloak-latency.js [seconds=15] [events_per_second=20]
 */
import { metrics } from '@opentelemetry/api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Consumer, RawRecord } from '../core/api.js';
import { nopLogger } from '../core/logger.js';
import { RecordingHost } from '../core/testing.js';
import { createDefaultConfig } from '../plugins/receivers/keycloak/config.js';
import { KeycloakReceiver } from '../plugins/receivers/keycloak/keycloak.js';
import { FakeKeycloak, userEvent } from '../test/plugins/receivers/keycloak/fake-keycloak.js';

const seconds = Number(process.argv[2] ?? 15);
const rate = Number(process.argv[3] ?? 20);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const server = await new FakeKeycloak().listen();
const appeared = new Map<string, number>();
const latencies: number[] = [];
let duplicates = 0;
const consumer: Consumer = {
  async consume(batch: Batch): Promise<void> {
    const now = performance.now();
    for (const record of batch.records as RawRecord[]) {
      const id = (record.payload as { id: string }).id;
      const start = appeared.get(id);
      if (start === undefined) {
        duplicates++;
        continue;
      }
      appeared.delete(id);
      latencies.push(now - start);
    }
  },
};

const receiver = new KeycloakReceiver(
  { id: 'keycloak/bench', kind: 'receiver', type: 'keycloak', tenant: 'bench', logger: nopLogger, meter: metrics.getMeter('bench'), dataDir: mkdtempSync(join(tmpdir(), 'authwire-kc-bench-')), workers: 1 },
  { ...createDefaultConfig(), base_url: server.base, realm: 'acme', client_id: 'authwire', client_secret: server.options.clientSecret, poll_interval: '1s', events: 'user', start_at: 'now' },
  consumer,
);
await receiver.start(new RecordingHost());

let n = 0;
const end = Date.now() + seconds * 1000;
while (Date.now() < end) {
  n++;
  const event = userEvent(n, Date.now());
  appeared.set(event['id'] as string, performance.now());
  server.add('acme', 'events', event);
  // Exponential gaps: arrivals uncorrelated with the poll timer.
  await new Promise((resolve) => setTimeout(resolve, -Math.log(1 - Math.random()) * (1000 / rate)));
}
// Let the last events arrive (at most one interval plus a request).
const drainEnd = Date.now() + 3000;
while (appeared.size > 0 && Date.now() < drainEnd) await new Promise((resolve) => setTimeout(resolve, 20));
await receiver.shutdown();
await server.close();

latencies.sort((a, b) => a - b);
const ms = (value: number): string => `${Math.round(value)} ms`;
console.log(`keycloak receiver, poll_interval 1s: ${n} events over ${seconds} s, ${latencies.length} delivered, ${appeared.size} missing, ${duplicates} duplicates`);
console.log(`latency  p50 ${ms(percentile(latencies, 50))}  p90 ${ms(percentile(latencies, 90))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(latencies.at(-1) ?? Number.NaN)}`);
const p99 = percentile(latencies, 99);
console.log(p99 < 2000 && appeared.size === 0 && duplicates === 0 ? 'target met: p99 < 2 s, none lost or doubled' : 'TARGET MISSED: p99 >= 2 s, or events lost or doubled');
process.exitCode = p99 < 2000 && appeared.size === 0 && duplicates === 0 ? 0 : 1;
