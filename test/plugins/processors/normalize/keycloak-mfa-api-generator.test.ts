/**
 * The generator receiver's keycloak.event, keycloak.admin_event and mfa_api payloads all map:
 * 5000 records of each (seed 1, every scenario), zero dead letters, and exact counts per
 * class / activity / status, so a change in either the generator or a mapper shows up here.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { DeadLetter, PipelineRecord } from '../../../../core/api.js';
import { mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import { builtinMapperTable } from '../../../../plugins/processors/normalize/mappers/index.js';
import type { IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { run } from '../../receivers/generator/helpers.js';

const mappers = builtinMapperTable();

interface Mapped {
  events: IamEvent[];
  dead: DeadLetter[];
  counts: Record<string, number>;
}

async function mapGenerated(format: string): Promise<Mapped> {
  const { records } = await run({ count: 5000, formats: [format as never], seed: 1 });
  assert.equal(records.length, 5000);
  const events: IamEvent[] = [];
  const dead: DeadLetter[] = [];
  const counts: Record<string, number> = {};
  for (const record of records) {
    const out: PipelineRecord | DeadLetter = mapRecord(mappers, record, { tenant: 'acme', observedTime: record.observedTime, format: record.format });
    if ('reason' in out && 'original' in out) {
      dead.push(out as DeadLetter);
      continue;
    }
    const event = out as IamEvent;
    events.push(event);
    const key = `${event.class_uid}:${event.activity_id}:${event.status_id}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { events, dead, counts };
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function assertWellFormed(events: IamEvent[], format: string): void {
  const uids = new Set<string>();
  for (const e of events) {
    assert.equal(e.type_uid, e.class_uid * 100 + e.activity_id);
    assert.equal(e.metadata.log_name, format);
    assert.equal(e.metadata.tenant_uid, 'acme');
    assert.equal(typeof e.time, 'number');
    assert.ok(e.metadata.event_code.length > 0);
    uids.add(e.metadata.uid);
  }
  assert.equal(uids.size, events.length, 'every generated record has its own uid');
}

test('generator keycloak.event: 5000 records map, none dead-lettered, exact class/activity/status counts', async () => {
  const { events, dead, counts } = await mapGenerated('keycloak.event');
  assert.deepEqual(dead, []);
  assertWellFormed(events, 'keycloak.event');
  assert.deepEqual(sorted(counts), {
    '3001:10:1': 34, // UPDATE_TOTP
    '3001:3:1': 37, // UPDATE_PASSWORD
    '3001:4:1': 168, // SEND_RESET_PASSWORD, RESET_PASSWORD
    '3001:4:2': 11, // SEND_RESET_PASSWORD_ERROR
    '3001:9:1': 2, // USER_DISABLED_BY_TEMPORARY_LOCKOUT
    '3002:1:1': 2219, // LOGIN
    '3002:1:2': 750, // LOGIN_ERROR (password, unknown user, locked, OTP)
    '3002:2:1': 720, // LOGOUT
    '3002:5:1': 1059, // REFRESH_TOKEN
  });
  // A bad OTP is a LOGIN_ERROR with credential_type otp: an MFA failure with the normalized reason.
  const mfaFailures = events.filter((e) => e.is_mfa === true);
  assert.equal(mfaFailures.length, 109);
  for (const e of mfaFailures) {
    assert.equal(e.metadata.event_code, 'LOGIN_ERROR');
    assert.equal(e.status_detail, 'wrong_code');
    assert.equal(e.status_code, 'invalid_user_credentials');
    assert.deepEqual(e.auth_factors, [{ factor_type: 'OTP', factor_type_id: 7 }]);
  }
  for (const e of events.filter((x) => x.activity_id === 9)) assert.equal(e.unmapped?.['failed_attempts'], 10);
});

test('generator keycloak.admin_event: 5000 records map, none dead-lettered, exact class/activity/status counts', async () => {
  const { events, dead, counts } = await mapGenerated('keycloak.admin_event');
  assert.deepEqual(dead, []);
  assertWellFormed(events, 'keycloak.admin_event');
  assert.deepEqual(sorted(counts), {
    '3001:12:1': 184, // USER_LOGIN_FAILURE:DELETE (unlock)
    '3001:1:1': 471, // USER:CREATE
    '3001:2:1': 378, // USER:UPDATE enabled
    '3001:4:1': 640, // USER:ACTION reset-password
    '3001:5:1': 351, // USER:UPDATE disabled
    '3005:1:1': 187, // REALM_ROLE_MAPPING:CREATE
    '3006:3:1': 1885, // GROUP_MEMBERSHIP:CREATE
    '3006:4:1': 904, // GROUP_MEMBERSHIP:DELETE
  });
  for (const e of events) {
    assert.ok(e.actor?.user?.uid !== undefined, 'the admin is the actor');
    assert.ok(e.user?.uid !== undefined, 'the target user comes from the resource path');
  }
  for (const e of events.filter((x) => x.class_uid === 3006)) assert.ok(e.group?.name !== undefined && e.group.uid !== undefined);
  for (const e of events.filter((x) => x.class_uid === 3005)) assert.equal(e.privileges?.length, 1);
});

test('generator mfa_api: 5000 records map, none dead-lettered, exact class/activity/status counts', async () => {
  const { events, dead, counts } = await mapGenerated('mfa_api');
  assert.deepEqual(dead, []);
  assertWellFormed(events, 'mfa_api');
  assert.deepEqual(sorted(counts), {
    '3001:4:2': 1263, // recovery.attempted (failure / blocked)
    '3001:9:1': 3, // account.locked
    '3002:1:2': 3734, // mfa.failure
  });
  for (const e of events) {
    const risk = e.unmapped?.['risk_context'] as Record<string, unknown> | undefined;
    assert.ok(risk !== undefined, 'risk_context survives');
    assert.equal(e.user?.risk_score, risk['risk_score']);
    assert.equal(e.user?.risk_level_id, Math.min(4, Math.floor((risk['risk_score'] as number) / 20)));
  }
  const blocked = events.filter((e) => e.status_detail === 'blocked');
  assert.ok(blocked.length > 0);
  for (const e of blocked) assert.equal(e.metadata.event_code, 'recovery.attempted');
});
