import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { OcsfEvent } from '../../../../core/api.js';
import { DEFAULT_SOURCETYPES } from '../../../../plugins/exporters/splunk_hec/config.js';
import { createHecEncoder, hecFields, hecTime } from '../../../../plugins/exporters/splunk_hec/encoder.js';
import type { HecEncoderOptions } from '../../../../plugins/exporters/splunk_hec/encoder.js';
import { sourcePath, thrownBy } from '../../../helpers.js';
import { authEvent, detectionEvent, oktaRaw } from '../testrecords.js';

const options: HecEncoderOptions = { host: 'authwire-1', source: undefined, sourcetype: 'authwire:ocsf', sourcetypeByClass: DEFAULT_SOURCETYPES, index: 'iam_acme' };

const errorOf = thrownBy;

test('hecTime: epoch seconds with exactly three decimals, from integer arithmetic', () => {
  assert.equal(hecTime(1714591201123), '1714591201.123');
  assert.equal(hecTime(1714591201050), '1714591201.050');
  assert.equal(hecTime(1714591201005), '1714591201.005');
  assert.equal(hecTime(1714591201000), '1714591201.000');
  assert.equal(hecTime(1714591201999), '1714591201.999');
  assert.equal(hecTime(1714591201123.9), '1714591201.123');
  assert.equal(hecTime(999), '0.999');
  assert.equal(hecTime(0), '0.000');
  assert.equal(hecTime(253402300799999), '253402300799.999');
});

test('an Authentication event: exact HEC event, per-class sourcetype, source from log_name, flat fields', () => {
  const encode = createHecEncoder(options);
  const event: OcsfEvent = { ...authEvent, metadata: { ...authEvent.metadata, log_name: 'okta' } };
  assert.equal(
    encode(event),
    '{"time":1714591202.000,"source":"authwire:okta","host":"authwire-1","sourcetype":"authwire:ocsf:authentication","index":"iam_acme",' +
      '"event":{"class_uid":3002,"activity_id":1,"type_uid":300201,"category_uid":3,"severity_id":1,"time":1714591202000,"status":"Failure","status_id":2,' +
      '"message":"User login failed","metadata":{"product":{"name":"Okta","vendor_name":"Okta"},"version":"1.8.0","uid":"e1","event_code":"user.session.start","tenant_uid":"acme","log_name":"okta"},' +
      '"user":{"name":"alice@example.com","uid":"00u1"},"src_endpoint":{"ip":"203.0.113.7"}},' +
      '"fields":{"ocsf_class":"3002","tenant":"acme","outcome":"Failure","user":"alice@example.com","src_ip":"203.0.113.7","event_code":"user.session.start"}}',
  );
});

test('constant source, no index, an unmapped class gets the default sourcetype; the event is not changed', () => {
  const encode = createHecEncoder({ ...options, source: 'iam', index: undefined });
  const event = structuredClone(detectionEvent);
  (event as Record<string, unknown>)['class_uid'] = 9999;
  const before = structuredClone(event);
  assert.equal(
    encode(event),
    '{"time":1714591203.500,"source":"iam","host":"authwire-1","sourcetype":"authwire:ocsf",' +
      '"event":{"class_uid":9999,"activity_id":1,"type_uid":200401,"category_uid":2,"severity_id":4,"time":1714591203500,"message":"MFA failures across 12 accounts in 5m",' +
      '"metadata":{"product":{"name":"authwire"},"version":"1.8.0","uid":"d1","tenant_uid":"acme"},"finding_info":{"title":"MFA failure spike across accounts","uid":"mfa_spray:acme"}},' +
      '"fields":{"ocsf_class":"9999","tenant":"acme"}}',
  );
  assert.deepEqual(event, before);
});

test('a normalized golden (Okta MFA push timeout): event is the OCSF event unchanged, fields as documented', () => {
  const golden = JSON.parse(readFileSync(sourcePath('plugins/processors/normalize/testdata/okta/auth-via-mfa-push-timeout.json'), 'utf8')) as { expected: OcsfEvent };
  const out = JSON.parse(createHecEncoder(options)(golden.expected)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['time', 'source', 'host', 'sourcetype', 'index', 'event', 'fields']);
  assert.equal(out['time'], 1732389600.123);
  assert.equal(out['source'], 'authwire:okta');
  assert.equal(out['sourcetype'], 'authwire:ocsf:authentication');
  assert.deepEqual(out['event'], golden.expected);
  assert.deepEqual(out['fields'], {
    ocsf_class: '3002',
    tenant: 'acme',
    activity: 'Logon',
    outcome: 'Failure',
    severity_name: 'Low',
    user: 'maria.garcia@example.com',
    src_ip: '198.51.100.23',
    event_code: 'user.authentication.auth_via_mfa',
  });
});

test('a Detection Finding: sourcetype detection_finding and the rule id as a field', () => {
  const finding = {
    ...detectionEvent,
    severity: 'High',
    activity_name: 'Create',
    metadata: { ...detectionEvent.metadata, log_name: 'detect', event_code: 'mfa_spray' },
    finding_info: { uid: 'f1', title: 'MFA spray', analytic: { uid: 'mfa_spray', name: 'MFA spray', type_id: 1, type: 'Rule' } },
  };
  const out = JSON.parse(createHecEncoder(options)(finding)) as Record<string, unknown>;
  assert.equal(out['sourcetype'], 'authwire:ocsf:detection_finding');
  assert.equal(out['source'], 'authwire:detect');
  assert.deepEqual(out['fields'], { ocsf_class: '2004', tenant: 'acme', activity: 'Create', severity_name: 'High', event_code: 'mfa_spray', rule: 'mfa_spray' });
});

test('any string gives valid JSON: quotes, backslashes, control characters, U+2028, lone surrogates, emoji', () => {
  const nasty = 'a"b\\c\nd\re\tf\u0000g\u001fh\u2028i\u2029j\ud800k\udfffl😀m</script>';
  const encode = createHecEncoder({ ...options, host: nasty, source: nasty, sourcetypeByClass: { '3002': nasty }, index: undefined });
  const event: OcsfEvent = { ...authEvent, user: { name: nasty }, src_endpoint: { ip: nasty }, message: nasty };
  const text = encode(event);
  assert.doesNotMatch(text, /[\u0000-\u001f]/);
  const out = JSON.parse(text) as { host: string; source: string; sourcetype: string; event: { message: string }; fields: Record<string, string> };
  assert.equal(out.host, nasty);
  assert.equal(out.source, nasty);
  assert.equal(out.sourcetype, nasty);
  assert.equal(out.event.message, nasty);
  assert.equal(out.fields['user'], nasty);
  assert.equal(out.fields['src_ip'], nasty);
});

test('fields are flat strings only: non-string and empty values are left out; user falls back to uid', () => {
  const event = { ...authEvent, status: 2, severity: '', activity_name: { x: 1 }, user: { uid: 'u-7', name: '' }, src_endpoint: { ip: 42 } } as unknown as OcsfEvent;
  assert.equal(hecFields(event), '"ocsf_class":"3002","tenant":"acme","user":"u-7","event_code":"user.session.start"');
});

test('records that cannot be sent are refused with a permanent code: raw records, bad times, unencodable values', () => {
  const encode = createHecEncoder(options);
  const raw = errorOf(() => encode(oktaRaw));
  assert.equal(raw.code, 'not_ocsf');
  assert.equal(raw.retryable, false);
  assert.equal(raw.message, 'splunk_hec sends OCSF events only; got a raw "okta" record (is the normalize processor in the pipeline?)');
  for (const time of [Number.NaN, -1, Number.POSITIVE_INFINITY, '1714591202000', 253402300800000]) {
    const error = errorOf(() => encode({ ...authEvent, time } as unknown as OcsfEvent));
    assert.equal(error.code, 'invalid_time');
    assert.equal(error.retryable, false);
  }
  const big = errorOf(() => encode({ ...authEvent, unmapped: { n: 1n } }));
  assert.equal(big.code, 'unencodable_record');
  assert.equal(big.retryable, false);
});
