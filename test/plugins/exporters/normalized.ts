/**
 * Real exporter input for the encoder tests and benchmarks: the normalizer's output for every
 * golden input of every format, and one Detection Finding per built-in rule made by the
 * detector's buildFinding.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OcsfEvent } from '../../../core/api.js';
import type { RawDetection } from '../../../plugins/processors/detect/engine.js';
import { builtinRules, defaultBuiltinParameters } from '../../../plugins/processors/detect/builtin.js';
import { buildFinding } from '../../../plugins/processors/detect/finding.js';
import { compileRules } from '../../../plugins/processors/detect/rules.js';
import { mapperTable, mapRecord } from '../../../plugins/processors/normalize/normalize.js';
import { sourcePath } from '../../helpers.js';

/** Every golden input of every format through the real normalizer (the events as exporters see them). */
export function normalizedGoldens(tenant = 'acme', source = 'test'): OcsfEvent[] {
  const testdata = sourcePath('plugins/processors/normalize/testdata');
  const mappers = mapperTable({ mappings: {} });
  const events: OcsfEvent[] = [];
  for (const format of readdirSync(testdata).sort()) {
    for (const file of readdirSync(join(testdata, format)).filter((name) => name.endsWith('.json')).sort()) {
      const golden = JSON.parse(readFileSync(join(testdata, format, file), 'utf8')) as { input?: unknown; expected?: unknown };
      if (golden.input === undefined || golden.expected === undefined) continue;
      const payload = typeof golden.input === 'string' ? golden.input : JSON.stringify(golden.input);
      const result = mapRecord(mappers, { format, payload, observedTime: 1767225600000, source }, { tenant, observedTime: 1767225600000, format });
      if (!('reason' in result)) events.push(result as OcsfEvent);
    }
  }
  return events;
}

type FindingDetails = Pick<RawDetection, 'values' | 'firstSeen' | 'lastSeen' | 'related'>;

const TEST_FINDING: FindingDetails = { values: ['a@example.com'], firstSeen: 1714591000000, lastSeen: 1714591203000, related: ['e1', 'e2'] };

/** One Detection Finding per built-in rule, built by the detector's own buildFinding; the i-th at `time + i`. */
export function builtinFindings(tenant = 'acme', time = 1714591203500, details: FindingDetails = TEST_FINDING): OcsfEvent[] {
  return compileRules(builtinRules(defaultBuiltinParameters()), 0).map((rule, i) => {
    const key = [tenant, ...rule.definition.group_by.map((_, j) => `k${j}@example.com`)].join('\u0001');
    return buildFinding(rule, { rule: rule.index, tenant, key, time: time + i, count: 12, ...details, suppressed: 0 });
  });
}
