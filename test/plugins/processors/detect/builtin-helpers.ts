/**
 * Hand-built OCSF events (through createEvent, so they have the real shape) and a runner that
 * pushes batches of them through an inline DetectProcessor (workers: 0).
 */
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { createDefaultConfig } from '../../../../plugins/processors/detect/config.js';
import type { DetectConfig } from '../../../../plugins/processors/detect/config.js';
import { DetectProcessor } from '../../../../plugins/processors/detect/detect.js';
import type { DetectionFinding } from '../../../../plugins/processors/detect/finding.js';
import { authFactor, CLASS, createEvent, FACTOR_TYPE } from '../../../../plugins/processors/normalize/ocsf.js';
import type { IamClassUid, IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';

export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
export const MIN = 60_000;
let seq = 0;

export function ev(classUid: IamClassUid, activityId: number, statusId: number, time: number, format = 'okta', tenant = 'acme', eventCode = 'test'): IamEvent {
  const uid = `e${++seq}`;
  return createEvent({ classUid, activityId, time, statusId, severityId: 1, product: { name: 'Test', vendor_name: 'Test' }, uid, eventCode, originalTime: new Date(time).toISOString(), format, tenant, observedTime: time });
}

export function pwFail(user: string, time: number, ip = '198.51.100.20', tenant = 'acme'): IamEvent {
  const e = ev(CLASS.AUTHENTICATION, 1, 2, time, 'okta', tenant, 'user.session.start');
  e.user = { name: user };
  e.src_endpoint = { ip };
  e.auth_factors = [authFactor(FACTOR_TYPE.PASSWORD)];
  e.status_detail = 'INVALID_CREDENTIALS';
  return e;
}

export function mfaFail(user: string, time: number, tenant = 'acme', risk?: Record<string, string>): IamEvent {
  const e = ev(CLASS.AUTHENTICATION, 1, 2, time, 'keycloak.event', tenant, 'LOGIN_ERROR');
  e.user = { name: user };
  e.is_mfa = true;
  e.auth_factors = [authFactor(FACTOR_TYPE.OTP, { is_totp: true })];
  e.status_detail = 'wrong_code';
  e.src_endpoint = { ip: '203.0.113.9' };
  if (risk !== undefined) e.unmapped = { risk_context: risk };
  return e;
}

export function push(user: string, time: number, detail = 'push_denied'): IamEvent {
  const e = ev(CLASS.AUTHENTICATION, 1, 2, time, 'okta', 'acme', 'user.mfa.okta_verify.deny_push');
  e.user = { name: user };
  e.is_mfa = true;
  e.auth_factors = [authFactor(FACTOR_TYPE.PUSH, { provider: 'Okta Verify' })];
  e.status_detail = detail;
  return e;
}

export function signIn(user: string, time: number, mfa = false): IamEvent {
  const e = ev(CLASS.AUTHENTICATION, 1, 1, time, 'okta', 'acme', mfa ? 'user.authentication.auth_via_mfa' : 'user.session.start');
  e.user = { name: user };
  if (mfa) {
    e.is_mfa = true;
    e.auth_factors = [authFactor(FACTOR_TYPE.PUSH)];
  }
  return e;
}

export function account(activityId: number, user: string, time: number, format = 'okta', statusId = 1): IamEvent {
  const e = ev(CLASS.ACCOUNT_CHANGE, activityId, statusId, time, format);
  e.user = { name: user };
  return e;
}

export function hostCreate(user: string, time: number, host = 'web-01', format = 'linux.auth'): IamEvent {
  const e = account(1, user, time, format);
  e.dst_endpoint = { hostname: host };
  return e;
}

export function roleGrant(user: string, role: string, time: number): IamEvent {
  const e = ev(CLASS.USER_ACCESS, 1, 1, time, 'entra.audit', 'acme', 'Add member to role');
  e.user = { name: user };
  e.privileges = [role];
  return e;
}

export function membership(activityId: 3 | 4, user: string, group: string, time: number, format: string): IamEvent {
  const e = ev(CLASS.GROUP_MANAGEMENT, activityId, 1, time, format);
  e.user = { name: user };
  e.group = { name: group };
  return e;
}

export function configChange(eventCode: string, time: number, format = 'keycloak.admin_event', unmapped?: Record<string, unknown>): IamEvent {
  const e = ev(CLASS.ACCOUNT_CHANGE, 99, 1, time, format, 'acme', eventCode);
  e.unmapped = unmapped;
  return e;
}

export interface Run {
  findings: DetectionFinding[];
  host: RecordingHost;
  out: CollectingConsumer;
  processor: DetectProcessor;
}

/** Runs the batches (each one consume call) through a fresh inline detector. */
export async function run(batches: IamEvent[][], change?: (config: DetectConfig) => void, tenant = 'acme'): Promise<Run> {
  const config: DetectConfig = { ...createDefaultConfig(), workers: 0 };
  change?.(config);
  const out = new CollectingConsumer();
  const host = new RecordingHost();
  const processor = new DetectProcessor(testSettings('processor', 'detect'), config, out);
  await processor.start(host);
  for (const records of batches) await processor.consume({ tenant: records[0]?.metadata.tenant_uid ?? tenant, records });
  await processor.shutdown();
  const findings = out.records.filter((r) => (r as { class_uid: number }).class_uid === 2004) as DetectionFinding[];
  return { findings, host, out, processor };
}

export function of(findings: DetectionFinding[], id: string): DetectionFinding[] {
  return findings.filter((f) => f.finding_info.analytic.uid === id);
}

/** An unrelated event that only moves the tenant's watermark on. */
export function tick(time: number, tenant = 'acme'): IamEvent {
  const e = ev(CLASS.AUTHENTICATION, 2, 1, time, 'okta', tenant, 'user.session.end');
  e.user = { name: 'watermark' };
  return e;
}

/** A finding's `unmapped` (key, count, condition, timespan, distinct_values, suppressed_count). */
export function um(finding: DetectionFinding): Record<string, unknown> {
  return finding['unmapped'] as Record<string, unknown>;
}
