import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeNdjson, encodePretty, escapeControl, prettyLine } from '../../../../plugins/exporters/stdout/encoder.js';
import { T0, auth0Raw, authEvent, batchOf, detectionEvent, keycloakRaw, oktaRaw, opaqueRaw, sshdRaw, windowsRaw } from '../testrecords.js';

test('pretty: one line per raw record, well-known fields per format', () => {
  const text = encodePretty(batchOf(oktaRaw, windowsRaw, sshdRaw, keycloakRaw, auth0Raw, opaqueRaw), { color: false });
  assert.equal(
    text,
    '2024-05-01T19:20:01.123Z  acme  okta  user.session.start  alice@example.com  203.0.113.7  FAILURE\n' +
      '2024-05-01T19:20:01.123Z  acme  windows.security  4625  lrodriguez  -  AUDIT_FAILURE\n' +
      '2024-05-01T19:20:01.123Z  acme  linux.auth  sshd.password  bob  198.51.100.23  FAILURE\n' +
      '2024-05-01T19:20:01.123Z  acme  keycloak.event  LOGIN_ERROR  carol  192.0.2.10  error:invalid_user_credentials\n' +
      '2024-05-01T19:20:01.123Z  acme  auth0  fp  dave@example.com  81.2.69.143  FAILURE\n' +
      '2024-05-01T19:20:01.123Z  acme  mapping.custom  {"foo":"bar","n":1}\n',
  );
});

test('pretty: OCSF Authentication and Detection Finding', () => {
  const text = encodePretty(batchOf(authEvent, detectionEvent), { color: false });
  assert.equal(
    text,
    '2024-05-01T19:20:02.000Z  acme  Okta  Authentication  Logon  alice@example.com  203.0.113.7  Failure  user.session.start\n' +
      '2024-05-01T19:20:03.500Z  acme  authwire  Detection Finding  Create  High  MFA failures across 12 accounts in 5m\n',
  );
});

test('pretty: OCSF without optional fields uses status_id and dashes', () => {
  const bare = { class_uid: 3006, activity_id: 3, type_uid: 300603, category_uid: 3, severity_id: 1, time: T0, status_id: 1, metadata: { product: { name: 'Keycloak' }, version: '1.8.0', tenant_uid: 'acme' } };
  assert.equal(prettyLine(bare, 'acme', false), '2024-05-01T19:20:01.123Z  acme  Keycloak  Group Management  Add User  -  -  Success  -');
});

test('pretty: colour only wraps our own fields in ANSI codes', () => {
  assert.equal(
    prettyLine(authEvent, 'acme', true),
    '\x1b[2m2024-05-01T19:20:02.000Z\x1b[0m  \x1b[36macme\x1b[0m  Okta  Authentication  Logon  alice@example.com  203.0.113.7  \x1b[31mFailure\x1b[0m  user.session.start',
  );
  assert.equal(
    prettyLine(detectionEvent, 'acme', true),
    '\x1b[2m2024-05-01T19:20:03.500Z\x1b[0m  \x1b[36macme\x1b[0m  authwire  Detection Finding  Create  \x1b[1;31mHigh\x1b[0m  MFA failures across 12 accounts in 5m',
  );
});

test('pretty: control characters from payloads are escaped (terminal injection)', () => {
  const evil = {
    format: 'okta',
    payload: JSON.stringify({ eventType: 'user.session.start', actor: { alternateId: 'mallory\x1b[2J\x1b]0;pwned\x07\r\nroot' }, client: { ipAddress: '10.0.0.1\u202e' }, outcome: { result: 'SUCCESS' } }),
    observedTime: T0,
    source: 'okta/acme',
  };
  const line = prettyLine(evil, 'ac\x1bme', false);
  assert.equal(line, '2024-05-01T19:20:01.123Z  ac\\x1bme  okta  user.session.start  mallory\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0aroot  10.0.0.1\\u202e  SUCCESS');
  assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f\u202e]/);
  // Same for the text fallback and for OCSF fields.
  assert.equal(prettyLine({ format: 'x', payload: 'a\x1b[31mb\tc', observedTime: T0, source: 's' }, 'acme', false), '2024-05-01T19:20:01.123Z  acme  x  a\\x1b[31mb\\x09c');
  const ocsf = { ...authEvent, user: { name: 'eve\x9b31m' } };
  assert.match(prettyLine(ocsf, 'acme', false), /  eve\\x9b31m  /);
  assert.equal(escapeControl('\x00\x7f\u2028ok'), '\\x00\\x7f\\u2028ok');
});

test('pretty: odd payloads never throw and give one line each', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const long = 'x'.repeat(300);
  const text = encodePretty(
    {
      tenant: 'acme',
      records: [
        { format: 'okta', payload: '{not json', observedTime: Number.NaN, source: 's' },
        { format: 'okta', payload: cyclic, observedTime: T0, source: 's' },
        { format: 'okta', payload: long, observedTime: T0, source: 's' },
        { format: 'okta', payload: Buffer.from('{"eventType":"e","outcome":{"result":"SUCCESS"}}'), observedTime: T0, source: 's' },
        { format: 'okta', payload: null, observedTime: T0, source: 's' },
      ] as never,
    },
    { color: false },
  );
  assert.equal(
    text,
    '-  acme  okta  {not json\n' +
      '2024-05-01T19:20:01.123Z  acme  okta  [unprintable payload]\n' +
      `2024-05-01T19:20:01.123Z  acme  okta  ${'x'.repeat(159)}…\n` +
      '2024-05-01T19:20:01.123Z  acme  okta  e  -  -  SUCCESS\n' +
      '2024-05-01T19:20:01.123Z  acme  okta  null\n',
  );
});

test('ndjson: raw records keep the payload as given, OCSF events are written as-is', () => {
  const { text, encoded, skipped } = encodeNdjson(batchOf(oktaRaw, windowsRaw, sshdRaw, authEvent));
  assert.equal(encoded, 4);
  assert.equal(skipped, 0);
  const lines = text.split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[4], '');
  assert.equal(lines[0], `{"tenant":"acme","format":"okta","source":"okta/acme","observed_time":${T0},"payload":${JSON.stringify(oktaRaw.payload)}}`);
  assert.equal(
    lines[1],
    `{"tenant":"acme","format":"windows.security","source":"file/win","observed_time":${T0},"payload":{"EventID":4625,"TargetUserName":"lrodriguez","IpAddress":"-","EventType":"AUDIT_FAILURE","Status":"0xc000006d"}}`,
  );
  assert.equal(
    lines[2],
    `{"tenant":"acme","format":"linux.auth","source":"syslog/acme","observed_time":${T0},"payload":"May  1 19:20:01 bastion sshd[4242]: Failed password for invalid user bob from 198.51.100.23 port 50022 ssh2"}`,
  );
  assert.equal(lines[3], JSON.stringify(authEvent));
  assert.deepEqual(JSON.parse(lines[3]!), authEvent);
});

test('ndjson: detection finding line, and newlines inside values stay escaped', () => {
  const { text } = encodeNdjson(batchOf(detectionEvent, { format: 'linux.auth', payload: 'line1\nline2\r\u2028', observedTime: T0, source: 's' }));
  assert.equal(
    text,
    '{"class_uid":2004,"activity_id":1,"type_uid":200401,"category_uid":2,"severity_id":4,"time":1714591203500,"message":"MFA failures across 12 accounts in 5m",' +
      '"metadata":{"product":{"name":"authwire"},"version":"1.8.0","uid":"d1","tenant_uid":"acme"},"finding_info":{"title":"MFA failure spike across accounts","uid":"mfa_spray:acme"}}\n' +
      `{"tenant":"acme","format":"linux.auth","source":"s","observed_time":${T0},"payload":"line1\\nline2\\r\u2028"}\n`,
  );
  for (const line of text.trimEnd().split('\n')) JSON.parse(line);
});

test('ndjson: bytes are UTF-8 text, or base64 when not UTF-8; unencodable records are skipped and counted', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  const { text, encoded, skipped } = encodeNdjson({
    tenant: 'acme',
    records: [
      { format: 'okta', payload: Buffer.from('{"a":1}'), observedTime: 1, source: 's' },
      { format: 'okta', payload: new Uint8Array([0xff, 0x00, 0x41]), observedTime: 2, source: 's' },
      { format: 'okta', payload: cyclic, observedTime: 3, source: 's' },
      { format: 'okta', payload: { big: 1n }, observedTime: 4, source: 's' },
      { format: 'okta', payload: undefined, observedTime: 5, source: 's' },
    ],
  });
  assert.equal(encoded, 3);
  assert.equal(skipped, 2);
  assert.equal(
    text,
    '{"tenant":"acme","format":"okta","source":"s","observed_time":1,"payload":"{\\"a\\":1}"}\n' +
      '{"tenant":"acme","format":"okta","source":"s","observed_time":2,"payload":"/wBB","payload_encoding":"base64"}\n' +
      '{"tenant":"acme","format":"okta","source":"s","observed_time":5,"payload":null}\n',
  );
});

test('encoders do not modify the batch', () => {
  const batch = batchOf(structuredClone(oktaRaw), structuredClone(authEvent), structuredClone(detectionEvent));
  const before = structuredClone(batch);
  encodePretty(batch, { color: true });
  encodeNdjson(batch);
  assert.deepEqual(batch, before);
});

test('pretty: Entra sign-ins, which have no event type, show their status code', () => {
  const signIn = {
    format: 'entra.signin',
    payload: JSON.stringify({ id: 'a1', createdDateTime: '2024-05-01T19:20:01Z', userPrincipalName: 'erin@example.com', ipAddress: '198.51.100.4', status: { errorCode: 50126, failureReason: 'Invalid username or password.' } }),
    observedTime: T0,
    source: 'entra/acme',
  };
  assert.equal(prettyLine(signIn, 'acme', false), '2024-05-01T19:20:01.123Z  acme  entra.signin  signIn.50126  erin@example.com  198.51.100.4  FAILURE');
});
