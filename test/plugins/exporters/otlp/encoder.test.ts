import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { OcsfEvent } from '../../../../core/api.js';
import { OTLP_LOGS_DESCRIPTOR } from '../../../../plugins/shared/otlp/descriptor.js';
import {
  MAX_CACHED_KEYS, MAX_DEPTH, MAX_TIME_MS, cachedKeyCount, encodeLogRecordJson, encodeLogRecordProto, eventNameOf, frameJsonRequest, frameProtoRequest, jsonEnvelope, nanosString, protoEnvelope, requireOcsf, severityOf,
} from '../../../../plugins/exporters/otlp/encoder.js';
import type { OtlpEncoderOptions, OtlpEnvelope } from '../../../../plugins/exporters/otlp/encoder.js';
import { sourcePath, thrownBy } from '../../../helpers.js';
import { authEvent, detectionEvent, oktaRaw } from '../testrecords.js';
import { decodeRequest, recordsOf } from './official.js';

const NOW = 1714591209999;
const FLAT: OtlpEncoderOptions = { ocsfAs: 'attributes', attributePrefix: 'ocsf.' };
const BODY: OtlpEncoderOptions = { ocsfAs: 'body', attributePrefix: 'ocsf.' };
const ENVELOPE: OtlpEnvelope = { resourceAttributes: [['service.name', 'authwire'], ['authwire.tenant', 'acme']], scopeName: 'authwire', scopeVersion: '' };

const s = (value: string) => ({ stringValue: value });
const i = (value: number) => ({ intValue: String(value) });
const d = (value: number) => ({ doubleValue: value });
const b = (value: boolean) => ({ boolValue: value });
const kv = (key: string, value: unknown) => ({ key, value });

const errorOf = thrownBy;

/** Encodes events as one protobuf request and decodes it with the official OTLP code. */
function viaProto(events: OcsfEvent[], options = FLAT): Record<string, unknown> {
  return decodeRequest(frameProtoRequest(protoEnvelope(ENVELOPE), events.map((e) => encodeLogRecordProto(e, options, NOW))));
}

function viaJson(events: OcsfEvent[], options = FLAT): Record<string, unknown> {
  return JSON.parse(frameJsonRequest(jsonEnvelope(ENVELOPE), events.map((e) => encodeLogRecordJson(e, options, NOW)))) as Record<string, unknown>;
}

const AUTH_RECORD = {
  timeUnixNano: '1714591202000000000',
  observedTimeUnixNano: '1714591209999000000',
  severityNumber: 9,
  severityText: 'Informational',
  body: s('User login failed'),
  attributes: [
    kv('log.record.uid', s('e1')),
    kv('ocsf.class_uid', i(3002)),
    kv('ocsf.activity_id', i(1)),
    kv('ocsf.type_uid', i(300201)),
    kv('ocsf.category_uid', i(3)),
    kv('ocsf.severity_id', i(1)),
    kv('ocsf.time', i(1714591202000)),
    kv('ocsf.status', s('Failure')),
    kv('ocsf.status_id', i(2)),
    kv('ocsf.message', s('User login failed')),
    kv('ocsf.metadata.product.name', s('Okta')),
    kv('ocsf.metadata.product.vendor_name', s('Okta')),
    kv('ocsf.metadata.version', s('1.8.0')),
    kv('ocsf.metadata.uid', s('e1')),
    kv('ocsf.metadata.event_code', s('user.session.start')),
    kv('ocsf.metadata.tenant_uid', s('acme')),
    kv('ocsf.user.name', s('alice@example.com')),
    kv('ocsf.user.uid', s('00u1')),
    kv('ocsf.src_endpoint.ip', s('203.0.113.7')),
  ],
  eventName: 'ocsf.authentication',
};

test('ACCEPTANCE: protobuf bytes decode with the official OTLP code into exactly the expected request', () => {
  assert.deepEqual(viaProto([authEvent]), {
    resourceLogs: [
      {
        resource: { attributes: [kv('service.name', s('authwire')), kv('authwire.tenant', s('acme'))] },
        scopeLogs: [{ scope: { name: 'authwire' }, logRecords: [AUTH_RECORD] }],
      },
    ],
  });
});

test('ACCEPTANCE: OTLP/JSON is the same request: camelCase keys, int64 as strings, enums as numbers', () => {
  const json = viaJson([authEvent]);
  assert.deepEqual(json, viaProto([authEvent]));
  const text = encodeLogRecordJson(authEvent, FLAT, NOW);
  assert.ok(text.startsWith('{"timeUnixNano":"1714591202000000000","observedTimeUnixNano":"1714591209999000000","severityNumber":9,"severityText":"Informational","body":{"stringValue":"User login failed"},"attributes":[{"key":"log.record.uid","value":{"stringValue":"e1"}},{"key":"ocsf.class_uid","value":{"intValue":"3002"}},'), text);
  assert.ok(text.endsWith(',"eventName":"ocsf.authentication"}'));
});

test('ACCEPTANCE: trace and span ids are bytes in protobuf and lower-case hex (not base64) in JSON', () => {
  const traced = { ...authEvent, trace: { uid: '4BF92F3577B34DA6A3CE929D0E0E4736', span: { uid: '00f067aa0ba902b7' } } } as OcsfEvent;
  const [record] = recordsOf(viaProto([traced]));
  assert.equal(record!['traceId'], '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(record!['spanId'], '00f067aa0ba902b7');
  const text = encodeLogRecordJson(traced, FLAT, NOW);
  assert.ok(text.includes(',"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","eventName":'), text);
  assert.deepEqual(viaJson([traced]), viaProto([traced]));
  // Invalid or all-zero ids are not ids (the trace object stays in the attributes either way).
  for (const trace of [{ uid: 'not-hex' }, { uid: '0'.repeat(32) }, { uid: 42 }]) {
    const [plain] = recordsOf(viaProto([{ ...authEvent, trace } as OcsfEvent]));
    assert.equal(plain!['traceId'], undefined);
  }
});

test('a normalized golden: every field flattened, arrays as array values, objects in arrays as kvlists, doubles, booleans', () => {
  const golden = JSON.parse(readFileSync(sourcePath('plugins/processors/normalize/testdata/okta/auth-via-mfa-push-timeout.json'), 'utf8')) as { expected: OcsfEvent };
  const [record] = recordsOf(viaProto([golden.expected]));
  assert.equal(record!['timeUnixNano'], '1732389600123000000');
  assert.equal(record!['observedTimeUnixNano'], '1767225600000000000', 'metadata.logged_time, not now');
  assert.equal(record!['severityNumber'], 13);
  assert.equal(record!['severityText'], 'Low');
  assert.equal(record!['eventName'], 'ocsf.authentication');
  assert.deepEqual(record!['body'], s('Authentication of user via MFA'));
  assert.deepEqual(record!['attributes'], [
    kv('log.record.uid', s('b1b2b3b6-a9c3-11ef-9a41-3b1e5c0d7a21')),
    kv('ocsf.class_uid', i(3002)),
    kv('ocsf.class_name', s('Authentication')),
    kv('ocsf.category_uid', i(3)),
    kv('ocsf.category_name', s('Identity & Access Management')),
    kv('ocsf.activity_id', i(1)),
    kv('ocsf.activity_name', s('Logon')),
    kv('ocsf.type_uid', i(300201)),
    kv('ocsf.type_name', s('Authentication: Logon')),
    kv('ocsf.severity_id', i(2)),
    kv('ocsf.severity', s('Low')),
    kv('ocsf.time', i(1732389600123)),
    kv('ocsf.status_id', i(2)),
    kv('ocsf.status', s('Failure')),
    kv('ocsf.status_code', s('VERIFICATION_TIMEOUT')),
    kv('ocsf.status_detail', s('push_timeout')),
    kv('ocsf.message', s('Authentication of user via MFA')),
    kv('ocsf.metadata.version', s('1.8.0')),
    kv('ocsf.metadata.product.name', s('Okta')),
    kv('ocsf.metadata.product.vendor_name', s('Okta')),
    kv('ocsf.metadata.uid', s('b1b2b3b6-a9c3-11ef-9a41-3b1e5c0d7a21')),
    kv('ocsf.metadata.event_code', s('user.authentication.auth_via_mfa')),
    kv('ocsf.metadata.tenant_uid', s('acme')),
    kv('ocsf.metadata.original_time', s('2024-11-23T19:20:00.123Z')),
    kv('ocsf.metadata.log_name', s('okta')),
    kv('ocsf.metadata.correlation_uid', s('Z0Jq3X8kP2vR7tYw1nB5cAAABc4')),
    kv('ocsf.metadata.logged_time', i(1767225600000)),
    kv('ocsf.user.name', s('maria.garcia@example.com')),
    kv('ocsf.user.uid', s('00u8f3k2jdLq1ZxYb697')),
    kv('ocsf.user.full_name', s('Maria Garcia')),
    kv('ocsf.src_endpoint.ip', s('198.51.100.23')),
    kv('ocsf.src_endpoint.location.city', s('Austin')),
    kv('ocsf.src_endpoint.location.country', s('United States')),
    kv('ocsf.src_endpoint.location.region', s('Texas')),
    kv('ocsf.src_endpoint.location.postal_code', s('78701')),
    kv('ocsf.src_endpoint.location.lat', d(30.2672)),
    kv('ocsf.src_endpoint.location.long', d(-97.7431)),
    kv('ocsf.src_endpoint.domain', s('example.net')),
    kv('ocsf.src_endpoint.isp', s('example broadband')),
    kv('ocsf.src_endpoint.autonomous_system.number', i(64512)),
    kv('ocsf.src_endpoint.autonomous_system.name', s('example broadband')),
    kv('ocsf.http_request.user_agent', s('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36')),
    kv('ocsf.session.uid', s('102Xq8aB3cD4eF5gH6iJ7kL8m')),
    kv('ocsf.auth_factors', {
      arrayValue: { values: [{ kvlistValue: { values: [kv('factor_type', s('Push Notification')), kv('factor_type_id', i(5)), kv('provider', s('Okta Verify'))] } }] },
    }),
    kv('ocsf.is_mfa', b(true)),
  ]);
  assert.deepEqual(viaJson([golden.expected]), viaProto([golden.expected]));
});

test('undefined and null fields and empty objects produce nothing; arrays of strings and nulls in arrays keep their places', () => {
  const event = {
    ...detectionEvent,
    actor: undefined,
    unmapped: { empty: {}, gone: null, roles: ['admin', 'ops'], mixed: ['a', null, 2, 1.5, false, [1]] },
  } as OcsfEvent;
  const [record] = recordsOf(viaProto([event]));
  const attributes = record!['attributes'] as { key: string; value: unknown }[];
  assert.deepEqual(attributes.filter((a) => a.key.startsWith('ocsf.unmapped')), [
    kv('ocsf.unmapped.roles', { arrayValue: { values: [s('admin'), s('ops')] } }),
    kv('ocsf.unmapped.mixed', { arrayValue: { values: [s('a'), {}, i(2), d(1.5), b(false), { arrayValue: { values: [i(1)] } }] } }),
  ]);
  assert.equal(attributes.some((a) => a.key.startsWith('ocsf.actor')), false);
  assert.deepEqual(viaJson([event]), viaProto([event]));
});

test('non-ASCII and long strings, negative and large integers round-trip through the official decoder', () => {
  const unmapped = { name: 'Zoë Åström 日本 🙂', long: 'é'.repeat(300), ascii: 'a'.repeat(200), neg: -42, big: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER };
  const attributes = recordsOf(viaProto([{ ...authEvent, unmapped } as OcsfEvent]))[0]!['attributes'] as { key: string; value: unknown }[];
  assert.deepEqual(attributes.filter((a) => a.key.startsWith('ocsf.unmapped')), [
    kv('ocsf.unmapped.name', s(unmapped.name)),
    kv('ocsf.unmapped.long', s(unmapped.long)),
    kv('ocsf.unmapped.ascii', s(unmapped.ascii)),
    kv('ocsf.unmapped.neg', i(-42)),
    kv('ocsf.unmapped.big', i(Number.MAX_SAFE_INTEGER)),
    kv('ocsf.unmapped.min', i(Number.MIN_SAFE_INTEGER)),
  ]);
  assert.deepEqual(viaJson([{ ...authEvent, unmapped } as OcsfEvent]), viaProto([{ ...authEvent, unmapped } as OcsfEvent]));
});

test('a Detection Finding: eventName ocsf.detection_finding, severity High → ERROR3, finding_info flattened', () => {
  const [record] = recordsOf(viaProto([detectionEvent]));
  assert.equal(record!['eventName'], 'ocsf.detection_finding');
  assert.equal(record!['severityNumber'], 19);
  assert.equal(record!['severityText'], 'High');
  const attributes = record!['attributes'] as { key: string; value: unknown }[];
  assert.deepEqual(attributes.filter((a) => a.key.startsWith('ocsf.finding_info')), [
    kv('ocsf.finding_info.title', s('MFA failure spike across accounts')),
    kv('ocsf.finding_info.uid', s('mfa_spray:acme')),
  ]);
});

test('body mode: the whole event as a kvlist body, only log.record.uid, class_uid and type_uid as attributes', () => {
  const [record] = recordsOf(viaProto([authEvent], BODY));
  assert.deepEqual(record!['attributes'], [kv('log.record.uid', s('e1')), kv('ocsf.class_uid', i(3002)), kv('ocsf.type_uid', i(300201))]);
  assert.deepEqual(record!['body'], {
    kvlistValue: {
      values: [
        kv('class_uid', i(3002)),
        kv('activity_id', i(1)),
        kv('type_uid', i(300201)),
        kv('category_uid', i(3)),
        kv('severity_id', i(1)),
        kv('time', i(1714591202000)),
        kv('status', s('Failure')),
        kv('status_id', i(2)),
        kv('message', s('User login failed')),
        kv('metadata', { kvlistValue: { values: [
          kv('product', { kvlistValue: { values: [kv('name', s('Okta')), kv('vendor_name', s('Okta'))] } }),
          kv('version', s('1.8.0')), kv('uid', s('e1')), kv('event_code', s('user.session.start')), kv('tenant_uid', s('acme')),
        ] } }),
        kv('user', { kvlistValue: { values: [kv('name', s('alice@example.com')), kv('uid', s('00u1'))] } }),
        kv('src_endpoint', { kvlistValue: { values: [kv('ip', s('203.0.113.7'))] } }),
      ],
    },
  });
  assert.deepEqual(viaJson([authEvent], BODY), viaProto([authEvent], BODY));
});

test('an empty prefix gives plain OCSF paths', () => {
  const [record] = recordsOf(viaProto([authEvent], { ocsfAs: 'attributes', attributePrefix: '' }));
  const keys = (record!['attributes'] as { key: string }[]).map((a) => a.key);
  assert.deepEqual(keys.slice(0, 3), ['log.record.uid', 'class_uid', 'activity_id']);
  assert.ok(keys.includes('user.name'));
});

test('flattened keys are cached per path up to MAX_CACHED_KEYS; keys past the cap are encoded all the same', () => {
  // 25,000 distinct keys in `unmapped` (free-form vendor fields can hold any number): more than the cap.
  const wide = Object.fromEntries(Array.from({ length: 25_000 }, (_, n) => [`field_${n}`, n]));
  const event = { ...authEvent, unmapped: { wide } } as OcsfEvent;
  for (let pass = 0; pass < 2; pass++) {
    const attributes = recordsOf(viaProto([event]))[0]!['attributes'] as { key: string; value: unknown }[];
    const unmapped = attributes.filter((a) => a.key.startsWith('ocsf.unmapped.'));
    assert.equal(unmapped.length, 25_000);
    assert.deepEqual(unmapped[0], kv('ocsf.unmapped.wide.field_0', i(0)));
    assert.deepEqual(unmapped[24_999], kv('ocsf.unmapped.wide.field_24999', i(24_999)));
    assert.equal(cachedKeyCount(), MAX_CACHED_KEYS);
  }
  // And the ordinary event after the flood encodes exactly as before it.
  assert.deepEqual(recordsOf(viaProto([authEvent])), [AUTH_RECORD]);
});

test('severity: every OCSF severity_id, caption from the event or the OCSF table', () => {
  const cases: [number, number, string][] = [[0, 0, 'Unknown'], [1, 9, 'Informational'], [2, 13, 'Low'], [3, 17, 'Medium'], [4, 19, 'High'], [5, 21, 'Critical'], [6, 24, 'Fatal'], [99, 0, 'Other'], [7, 0, '']];
  for (const [id, number, text] of cases) assert.deepEqual(severityOf({ ...authEvent, severity_id: id }), { number, text }, `severity_id ${id}`);
  assert.deepEqual(severityOf({ ...authEvent, severity_id: 3, severity: 'Medium-ish' }), { number: 17, text: 'Medium-ish' });
  const [record] = recordsOf(viaProto([{ ...authEvent, severity_id: 0 }]));
  assert.equal(record!['severityNumber'], undefined, 'UNSPECIFIED is the proto3 default and is not written');
  assert.equal(record!['severityText'], 'Unknown');
});

test('eventName: OCSF class names, else class_name in snake_case, else the uid', () => {
  assert.equal(eventNameOf({ ...authEvent, class_uid: 3001 }), 'ocsf.account_change');
  assert.equal(eventNameOf({ ...authEvent, class_uid: 3005 }), 'ocsf.user_access');
  assert.equal(eventNameOf({ ...authEvent, class_uid: 3006 }), 'ocsf.group_management');
  assert.equal(eventNameOf({ ...authEvent, class_uid: 4001, class_name: 'Network Activity' }), 'ocsf.network_activity');
  assert.equal(eventNameOf({ ...authEvent, class_uid: 4001 }), 'ocsf.class_4001');
});

test('times: ms → ns exactly (also past 2^53 ns), 0 when missing or past fixed64, observed from logged_time', () => {
  assert.equal(nanosString(1714591202123), '1714591202123000000');
  assert.equal(nanosString(0), '0');
  assert.equal(nanosString(-5), '0');
  for (const time of [1714591202123, 1, 4102444800000, 9007199254740, MAX_TIME_MS - 7]) {
    const [record] = recordsOf(viaProto([{ ...authEvent, time, metadata: { ...authEvent.metadata, logged_time: time + 7 } }]));
    assert.equal(record!['timeUnixNano'], `${time}000000`);
    assert.equal(record!['observedTimeUnixNano'], `${time + 7}000000`);
  }
  assert.equal(nanosString(MAX_TIME_MS), '18446744073709000000');
  for (const time of [Number.NaN, MAX_TIME_MS + 1, 253402300799999]) {
    const [unknown] = recordsOf(viaProto([{ ...authEvent, time }]));
    assert.equal(unknown!['timeUnixNano'], '0', `time ${time} does not fit fixed64 nanoseconds`);
    assert.ok(encodeLogRecordJson({ ...authEvent, time }, FLAT, NOW).startsWith('{"timeUnixNano":"0",'));
  }
});

test('non-finite doubles: NaN and ±Infinity as proto doubles and as OTLP/JSON strings', () => {
  const event = { ...authEvent, unmapped: { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY } } as OcsfEvent;
  const text = encodeLogRecordJson(event, FLAT, NOW);
  assert.ok(text.includes('{"key":"ocsf.unmapped.a","value":{"doubleValue":"NaN"}},{"key":"ocsf.unmapped.b","value":{"doubleValue":"Infinity"}},{"key":"ocsf.unmapped.c","value":{"doubleValue":"-Infinity"}}'), text);
  const attributes = recordsOf(viaProto([event]))[0]!['attributes'] as { key: string; value: { doubleValue: number } }[];
  const unmapped = attributes.filter((a) => a.key.startsWith('ocsf.unmapped')).map((a) => a.value.doubleValue);
  assert.deepEqual(unmapped, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
});

test('raw records are refused as not_ocsf (permanent); over-deep values as unencodable_record', () => {
  const error = errorOf(() => requireOcsf(oktaRaw));
  assert.equal(error.code, 'not_ocsf');
  assert.equal(error.retryable, false);
  assert.equal(error.message, 'a raw okta record, not an OCSF event: add the normalize processor to the pipeline');
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let n = 0; n < MAX_DEPTH + 1; n++) deep = { deep };
  const event = { ...authEvent, unmapped: deep } as OcsfEvent;
  assert.equal(errorOf(() => encodeLogRecordProto(event, FLAT, NOW)).code, 'unencodable_record');
  assert.equal(errorOf(() => encodeLogRecordJson(event, BODY, NOW)).code, 'unencodable_record');
});

test('the input event is not changed', () => {
  const event = structuredClone(authEvent);
  encodeLogRecordProto(event, FLAT, NOW);
  encodeLogRecordJson(event, BODY, NOW);
  assert.deepEqual(event, authEvent);
});

test('a request of many records, frames of every length-prefix size, decode back in order', () => {
  const events: OcsfEvent[] = [];
  for (let n = 0; n < 300; n++) events.push({ ...authEvent, message: 'x'.repeat(n * 7), metadata: { ...authEvent.metadata, uid: `e${n}` } });
  const records = recordsOf(viaProto(events));
  assert.deepEqual(records.map((r) => ((r['attributes'] as { value: { stringValue: string } }[])[0]!.value.stringValue)), events.map((e) => e.metadata.uid));
  assert.equal(recordsOf(viaProto([])).length, 0);
  assert.deepEqual(viaJson(events.slice(0, 20)), viaProto(events.slice(0, 20)));
});

test('the embedded descriptor is the one generated from proto/*.proto', async () => {
  const generator = (await import(pathToFileURL(sourcePath('plugins/shared/otlp/proto/generate.mjs')).href)) as { buildDescriptor(): unknown };
  assert.deepEqual(JSON.parse(JSON.stringify(OTLP_LOGS_DESCRIPTOR)), JSON.parse(JSON.stringify(generator.buildDescriptor())));
});
