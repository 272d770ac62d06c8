/**
 * The okta, entra.signin, entra.audit and auth0 mappers against what the generator receiver
 * emits in those formats (every record must map), plus the Entra helpers the goldens do not
 * reach one by one.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { RawRecord } from '../../../../core/api.js';
import { MappingError } from '../../../../plugins/processors/normalize/mapper.js';
import { builtinMapperTable } from '../../../../plugins/processors/normalize/mappers/index.js';
import { entraTime, modifiedValue } from '../../../../plugins/processors/normalize/mappers/entra-common.js';
import { mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import type { IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { run } from '../../receivers/generator/helpers.js';

const FORMATS = ['okta', 'entra.signin', 'entra.audit', 'auth0'] as const;

test('5000 generator records (seed 1) of okta, entra.signin, entra.audit and auth0: no dead letters, exact counts per class', async () => {
  const { records } = await run({ count: 5000, seed: 1, formats: [...FORMATS] });
  assert.equal(records.length, 5000);
  const mappers = builtinMapperTable();
  const counts: Record<string, Record<string, number>> = {};
  const dead: string[] = [];
  for (const r of records) {
    const result = mapRecord(mappers, r as RawRecord, { tenant: 'acme', observedTime: r.observedTime, format: r.format });
    if ('reason' in result && 'original' in result) {
      dead.push(`${result.reason}: ${result.detail}`);
      continue;
    }
    const event = result as IamEvent;
    assert.equal(event.metadata.log_name, r.format);
    assert.equal(event.type_uid, event.class_uid * 100 + event.activity_id);
    const perFormat = (counts[r.format] ??= {});
    perFormat[event.class_uid] = (perFormat[event.class_uid] ?? 0) + 1;
  }
  assert.deepEqual(dead, []);
  assert.deepEqual(counts, {
    okta: { 3001: 94, 3002: 1549, 3005: 8, 3006: 86 },
    'entra.signin': { 3002: 1766 },
    'entra.audit': { 3001: 153, 3005: 8, 3006: 140 },
    auth0: { 3001: 63, 3002: 1133 },
  });
});

test('entraTime: ISO with 7 fractional digits and offsets, and Azure Monitor US-style times', () => {
  assert.equal(entraTime('2024-11-23T19:20:00.1234567Z', 'time'), Date.UTC(2024, 10, 23, 19, 20, 0, 123));
  assert.equal(entraTime('2024-11-23T21:20:00+02:00', 'time'), Date.UTC(2024, 10, 23, 19, 20));
  assert.equal(entraTime('11/23/2024 7:20:00 PM', 'time'), Date.UTC(2024, 10, 23, 19, 20));
  assert.equal(entraTime('11/23/2024 12:05:09 AM', 'time'), Date.UTC(2024, 10, 23, 0, 5, 9));
  assert.equal(entraTime('11/23/2024 12:05:09 PM', 'time'), Date.UTC(2024, 10, 23, 12, 5, 9));
  assert.equal(entraTime('3/5/2024 13:03:58', 'time'), Date.UTC(2024, 2, 5, 13, 3, 58));
  assert.equal(entraTime('3/5/2024 13:03:58 +01:00', 'time'), Date.UTC(2024, 2, 5, 12, 3, 58));
  assert.equal(entraTime('12/12/2025 3:03:58.250 PM', 'time'), Date.UTC(2025, 11, 12, 15, 3, 58, 250));
  for (const bad of ['2/30/2024 10:00:00', '13/01/2024 10:00:00', '11/23/2024 13:00:00 PM', 'yesterday']) {
    assert.throws(() => entraTime(bad, 'time'), (error: unknown) => error instanceof MappingError && error.reason === 'invalid_time', bad);
  }
});

test('modifiedValue: Graph JSON-in-a-string values', () => {
  assert.equal(modifiedValue('"Finance"'), 'Finance');
  assert.equal(modifiedValue('["Finance"]'), 'Finance');
  assert.equal(modifiedValue('[true]'), 'true');
  assert.equal(modifiedValue('[]'), undefined);
  assert.equal(modifiedValue('["a","b"]'), '"a","b"');
  assert.equal(modifiedValue('"a \\"quoted\\" name"'), '"a \\"quoted\\" name"');
  assert.equal(modifiedValue(undefined), undefined);
});
