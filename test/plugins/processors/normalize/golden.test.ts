/**
 * Golden tests for every format mapper: each file plugins/processors/normalize/testdata/<format>/<case>.json
 * holds one raw record and exactly what it must become.
 *
 *   { "input": <the vendor record: a JSON value, or a string for text formats>,
 *     "input_text": "<exact payload text, instead of input, for malformed records>",
 *     "expected": <the OCSF event, as JSON>  |  "dead_letter": { "reason": "...", "detail": "..." } }
 *
 * The record is fed as a RawRecord of that format (JSON values as JSON text, as receivers hand
 * them over), for tenant `acme`, received at 2026-01-01T00:00:00.000Z.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import type { RawRecord } from '../../../../core/api.js';
import { mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import { builtinMapperTable } from '../../../../plugins/processors/normalize/mappers/index.js';
import { sourcePath } from '../../../helpers.js';

export const GOLDEN_OBSERVED_TIME = Date.UTC(2026, 0, 1);
const root = sourcePath('plugins', 'processors', 'normalize', 'testdata');
const mappers = builtinMapperTable();

interface GoldenCase {
  input?: unknown;
  input_text?: string;
  expected?: unknown;
  dead_letter?: { reason: string; detail: string };
}

for (const format of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
  for (const file of readdirSync(join(root, format)).filter((name) => name.endsWith('.json')).sort()) {
    test(`normalize golden ${format}/${file}`, () => {
      const golden = JSON.parse(readFileSync(join(root, format, file), 'utf8')) as GoldenCase;
      const payload = golden.input_text ?? (typeof golden.input === 'string' ? golden.input : JSON.stringify(golden.input));
      const record: RawRecord = { format, payload, observedTime: GOLDEN_OBSERVED_TIME, source: 'test' };
      const result = mapRecord(mappers, record, { tenant: 'acme', observedTime: GOLDEN_OBSERVED_TIME, format });
      if (golden.dead_letter) {
        assert.deepEqual(result, { ...golden.dead_letter, format, original: payload, observedTime: GOLDEN_OBSERVED_TIME });
      } else {
        assert.ok(!('reason' in result && 'original' in result), `dead-lettered: ${JSON.stringify(result)}`);
        assert.deepEqual(JSON.parse(JSON.stringify(result)), golden.expected);
      }
    });
  }
}
