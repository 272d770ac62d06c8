/** The generator's record production (the demo's and the end-to-end benchmarks' source). */
import type { Bench } from 'tinybench';
import type { RawRecord } from '../core/api.js';
import { FORMATS, SCENARIOS } from '../plugins/receivers/generator/model.js';
import { Engine } from '../plugins/receivers/generator/engine.js';

const RECORDS = 1000;

export const eventsPerTask: Record<string, number> = {
  [`generator: ${RECORDS} records, all formats and scenarios`]: RECORDS,
  [`generator: ${RECORDS} keycloak.event records, noise only`]: RECORDS,
};

export function register(bench: Bench): void {
  const all = new Engine({ seed: 1, formats: FORMATS, scenarios: SCENARIOS, scenarioEvery: 600, domain: 'example.com' });
  const keycloak = new Engine({ seed: 1, formats: ['keycloak.event'], scenarios: [], scenarioEvery: 600, domain: 'example.com' });
  const out: RawRecord = { format: '', payload: '', observedTime: 0, source: 'generator' };
  let time = Date.UTC(2026, 10, 23);
  bench.add(`generator: ${RECORDS} records, all formats and scenarios`, () => {
    for (let i = 0; i < RECORDS; i++) all.next(time++, out);
  });
  bench.add(`generator: ${RECORDS} keycloak.event records, noise only`, () => {
    for (let i = 0; i < RECORDS; i++) keycloak.next(time++, out);
  });
}
