/**
 * Detections as OCSF 1.8.0 Detection Findings (class 2004), built in one place with one shape.
 * Everything in a finding derives from event time and the rule, never the wall clock, so a replay
 * of the same events gives byte-identical findings.
 */
import { createHash } from 'node:crypto';
import type { OcsfEvent } from '../../../core/api.js';
import type { RawDetection } from './engine.js';
import { KEY_SEPARATOR } from './engine.js';
import type { RouterRule } from './rules.js';
import { SEVERITY_ID } from './rules.js';

const SEVERITY_NAMES: Readonly<Record<number, string>> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' };

export interface DetectionFinding extends OcsfEvent {
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    analytic: { uid: string; name: string; type_id: 1; type: 'Rule' };
    attacks: { technique: { uid: string }; sub_technique: { uid: string } | undefined }[];
    first_seen_time: number;
    last_seen_time: number;
    related_events: { uid: string }[];
    related_events_count: number;
  };
}

function attacksOf(ids: readonly string[]): DetectionFinding['finding_info']['attacks'] {
  return ids.map((id) => {
    const dot = id.indexOf('.');
    return dot < 0 ? { technique: { uid: id }, sub_technique: undefined } : { technique: { uid: id.slice(0, dot) }, sub_technique: { uid: id } };
  });
}

export function buildFinding(rule: RouterRule, detection: RawDetection): DetectionFinding {
  const definition = rule.definition;
  const keyValues = detection.key.split(KEY_SEPARATOR).slice(1);
  const key: Record<string, string> = {};
  definition.group_by.forEach((field, i) => (key[field] = keyValues[i] ?? ''));
  const uid = createHash('sha256').update(`${detection.tenant}\u0000${definition.id}\u0000${detection.key}\u0000${detection.time}`).digest('hex').slice(0, 32);
  const severityId = SEVERITY_ID[definition.severity];
  const keyText = definition.group_by.length > 0 ? definition.group_by.map((field) => `${field}=${key[field]}`).join(', ') : `tenant ${detection.tenant}`;
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId] ?? 'Other',
    time: detection.time,
    status_id: 1,
    status: 'New',
    is_alert: true,
    message: `${definition.name} (${keyText}): ${detection.count} within ${definition.timespan}`,
    metadata: {
      version: '1.8.0',
      product: { name: 'authwire', vendor_name: 'authwire' },
      uid,
      event_code: definition.id,
      tenant_uid: detection.tenant,
      log_name: 'detect',
    },
    finding_info: {
      uid,
      title: definition.name,
      desc: definition.description,
      types: [definition.type],
      analytic: { uid: definition.id, name: definition.name, type_id: 1, type: 'Rule' },
      attacks: attacksOf(definition.attack),
      first_seen_time: detection.firstSeen,
      last_seen_time: detection.lastSeen,
      related_events: detection.related.map((related) => ({ uid: related })),
      related_events_count: detection.related.length,
    },
    unmapped: {
      key,
      count: detection.count,
      condition: rule.window.kind === 'temporal' || rule.window.kind === 'temporal_ordered' ? undefined : `${rule.window.condition.op} ${rule.window.condition.value}`,
      timespan: definition.timespan,
      distinct_values: detection.values,
      suppressed_count: detection.suppressed,
    },
  };
}
