import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { OcsfEvent } from '../../../../core/api.js';
import { CefEncoder, CEF_SEVERITY, cefSeverity, cutBytes, escapeExtensionValue, escapeHeaderValue, syslogSeverity, truncateChars } from '../../../../plugins/exporters/cef/encoder.js';
import type { CefEncoderOptions } from '../../../../plugins/exporters/cef/encoder.js';
import { sourcePath } from '../../../helpers.js';
import { authEvent, oktaRaw } from '../testrecords.js';
import { parseCef, parseRfc3164, parseRfc5424 } from './cef-parser.js';

const BASE: CefEncoderOptions = {
  deviceVendor: 'authwire',
  deviceProduct: 'authwire',
  deviceVersion: '0.1.0',
  syslogFormat: 'rfc5424',
  framing: 'octet_counting',
  facility: 20,
  appName: 'authwire',
  hostname: 'collector-1',
  maxMessageBytes: 8192,
};

function encoder(overrides: Partial<CefEncoderOptions> = {}): CefEncoder {
  return new CefEncoder({ ...BASE, ...overrides });
}

function golden(path: string): OcsfEvent {
  return (JSON.parse(readFileSync(sourcePath('plugins/processors/normalize/testdata', path), 'utf8')) as { expected: OcsfEvent }).expected;
}

const finding: OcsfEvent = {
  class_uid: 2004, class_name: 'Detection Finding', category_uid: 2, category_name: 'Findings', activity_id: 1, activity_name: 'Create',
  type_uid: 200401, type_name: 'Detection Finding: Create', severity_id: 4, severity: 'High', time: 1714591203500, status_id: 1, status: 'New',
  is_alert: true, message: 'MFA push spam (user=alice): 12 within 5m',
  metadata: { version: '1.8.0', product: { name: 'authwire', vendor_name: 'authwire' }, uid: '9f2c', event_code: 'mfa_push_spam', tenant_uid: 'acme', log_name: 'detect' },
  finding_info: {
    uid: '9f2c', title: 'MFA push spam', desc: 'Many MFA pushes denied or timed out for one user', types: ['Credential Access'],
    analytic: { uid: 'mfa_push_spam', name: 'MFA push spam', type_id: 1, type: 'Rule' },
    attacks: [{ technique: { uid: 'T1621' }, sub_technique: undefined }, { technique: { uid: 'T1110' }, sub_technique: { uid: 'T1110.003' } }],
    first_seen_time: 1714591000000, last_seen_time: 1714591203000, related_events: [{ uid: 'e1' }, { uid: 'e2' }], related_events_count: 2,
  },
  unmapped: { key: { 'user.name': 'alice' }, count: 12 },
};

test('escaping: header \\ and |, CR/LF to space; extension \\, =, CR, LF', () => {
  assert.equal(escapeHeaderValue('a|b\\c=d\r\ne'), 'a\\|b\\\\c=d  e');
  assert.equal(escapeExtensionValue('a|b\\c=d\r\ne'), 'a|b\\\\c\\=d\\r\\ne');
  assert.equal(escapeExtensionValue('plain'), 'plain');
});

test('truncation counts characters, keeps surrogate pairs whole, ends in …', () => {
  assert.equal(truncateChars('abcdef', 6), 'abcdef');
  assert.equal(truncateChars('abcdefg', 6), 'abcde…');
  assert.equal(truncateChars('😀😀😀', 3), '😀😀😀');
  assert.equal(truncateChars('😀😀😀😀', 3), '😀😀…');
  assert.equal(cutBytes('aé😀b', 3, false), 'aé');
  assert.equal(cutBytes('a\\\\b', 2, true), 'a');
});

test('severity tables', () => {
  assert.deepEqual(CEF_SEVERITY, { 0: 0, 1: 1, 2: 3, 3: 5, 4: 7, 5: 9, 6: 10, 99: 5 });
  assert.equal(cefSeverity(42), 0);
  assert.equal(cefSeverity('3'), 0);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 99, 7].map(syslogSeverity), [6, 6, 5, 4, 3, 2, 1, 5, 6]);
});

test('Okta MFA push timeout (golden) -> exact CEF', () => {
  assert.equal(
    encoder().cef(golden('okta/auth-via-mfa-push-timeout.json')),
    'CEF:0|authwire|authwire|0.1.0|300201|Authentication: Logon|3|rt=1732389600123 externalId=b1b2b3b6-a9c3-11ef-9a41-3b1e5c0d7a21 cat=Authentication act=Logon outcome=Failure ' +
      'duser=maria.garcia@example.com duid=00u8f3k2jdLq1ZxYb697 src=198.51.100.23 cn1Label=ocsfTypeUid cn1=300201 cn2Label=ocsfSeverityId cn2=2 cs1Label=product cs1=Okta ' +
      'cs2Label=eventCode cs2=user.authentication.auth_via_mfa cs3Label=statusCode cs3=VERIFICATION_TIMEOUT cs4Label=tenant cs4=acme cs5Label=authFactors cs5=Push Notification ' +
      'cs6Label=sessionId cs6=102Xq8aB3cD4eF5gH6iJ7kL8m requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 ' +
      'reason=push_timeout msg=Authentication of user via MFA',
  );
});

test('Okta privilege grant (golden): actor -> suser/suid, user -> duser/duid, privileges -> dpriv', () => {
  assert.equal(
    encoder().cef(golden('okta/account-privilege-grant.json')),
    'CEF:0|authwire|authwire|0.1.0|300501|User Access Management: Assign Privileges|5|rt=1732389600123 externalId=059eda83-84a1-11ef-35df-cccc1743ce13 cat=User Access Management ' +
      'act=Assign Privileges outcome=Success suser=it.admin@example.com suid=00u1adm9QwErTyUi0697 duser=maria.garcia@example.com duid=00u8f3k2jdLq1ZxYb697 src=203.0.113.40 ' +
      'dpriv=Super administrator, Read-only administrator cn1Label=ocsfTypeUid cn1=300501 cn2Label=ocsfSeverityId cn2=3 cs1Label=product cs1=Okta cs2Label=eventCode cs2=user.account.privilege.grant ' +
      'cs4Label=tenant cs4=acme cs6Label=sessionId cs6=102AdmSess1on0000000000000 requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 ' +
      'msg=Grant user privilege',
  );
});

test('Detection Finding: rule id as signature, title as name, ATT&CK, first/last seen', () => {
  assert.equal(
    encoder().cef(finding),
    'CEF:0|authwire|authwire|0.1.0|mfa_push_spam|MFA push spam|7|rt=1714591203500 externalId=9f2c cat=Detection Finding act=Create start=1714591000000 end=1714591203000 ' +
      'cn1Label=ocsfTypeUid cn1=200401 cn2Label=ocsfSeverityId cn2=4 cn3Label=eventCount cn3=12 cs1Label=product cs1=authwire cs2Label=eventCode cs2=mfa_push_spam ' +
      'cs3Label=attackTechniques cs3=T1621,T1110.003 cs4Label=tenant cs4=acme cs5Label=findingUid cs5=9f2c cs6Label=relatedEvents cs6=e1,e2 ' +
      'reason=Many MFA pushes denied or timed out for one user msg=MFA push spam (user\\=alice): 12 within 5m',
  );
});

test('sparse event: names from the OCSF tables, IPv6 to c6a2/c6a3, non-IP dropped', () => {
  const event: OcsfEvent = {
    class_uid: 3006, activity_id: 3, type_uid: 300603, category_uid: 3, severity_id: 99, time: 0,
    metadata: { product: { name: 'Entra' }, version: '1.8.0', tenant_uid: 't' },
    src_endpoint: { ip: '2001:db8::7', hostname: 'ws-1' }, dst_endpoint: { ip: 'not-an-ip' }, group: { name: 'admins' },
  };
  assert.equal(
    encoder().cef(event),
    'CEF:0|authwire|authwire|0.1.0|300603|Group Management: Add User|5|rt=0 cat=Group Management act=Add User c6a2Label=Source IPv6 Address c6a2=2001:db8::7 shost=ws-1 ' +
      'cn1Label=ocsfTypeUid cn1=300603 cn2Label=ocsfSeverityId cn2=99 cs1Label=product cs1=Entra cs4Label=tenant cs4=t cs5Label=group cs5=admins',
  );
});

test('syslog RFC 5424 with octet counting: exact bytes', () => {
  const bytes = encoder().encode(authEvent);
  const cef =
    'CEF:0|authwire|authwire|0.1.0|300201|Authentication: Logon|1|rt=1714591202000 externalId=e1 cat=Authentication act=Logon outcome=Failure duser=alice@example.com duid=00u1 ' +
    'src=203.0.113.7 cn1Label=ocsfTypeUid cn1=300201 cn2Label=ocsfSeverityId cn2=1 cs1Label=product cs1=Okta cs2Label=eventCode cs2=user.session.start cs4Label=tenant cs4=acme msg=User login failed';
  const message = `<166>1 2024-05-01T19:20:02.000Z collector-1 authwire - - - ${cef}`;
  assert.equal(bytes.toString('utf8'), `${Buffer.byteLength(message)} ${message}`);
});

test('syslog RFC 3164 with LF framing; UDP framing has none', () => {
  const event = { ...authEvent, time: 1714540802007, severity_id: 4 }; // 2024-05-01T05:20:02.007Z
  const lf = encoder({ syslogFormat: 'rfc3164', framing: 'lf', facility: 1 }).encode(event).toString('utf8');
  assert.ok(lf.startsWith('<11>May  1 05:20:02 collector-1 authwire: CEF:0|authwire|authwire|0.1.0|300201|Authentication: Logon|7|rt=1714540802007 '), lf);
  assert.ok(lf.endsWith(' msg=User login failed\n'));
  assert.equal(lf.indexOf('\n'), lf.length - 1);
  const udp = encoder({ framing: 'none' }).encode(event).toString('utf8');
  assert.ok(udp.startsWith('<163>1 2024-05-01T05:20:02.007Z collector-1 authwire - - - CEF:0|'));
  assert.ok(udp.endsWith(' msg=User login failed'));
});

test('round trip through the strict parser: |, =, \\, CR/LF, tabs, non-ASCII, astral', () => {
  const nasty = 'a|b=c\\d\r\ne\tf ü 日本 😀 x=y \\= end';
  const event: OcsfEvent = {
    ...authEvent,
    type_name: `Auth|${nasty}`,
    message: nasty,
    status_detail: `${nasty} `,
    user: { name: nasty, uid: '=' },
    actor: { user: { name: '\\' } },
    metadata: { ...authEvent.metadata, product: { name: 'Ok|ta' }, uid: 'id=1' },
  };
  for (const syslogFormat of ['rfc5424', 'rfc3164'] as const) {
    const text = encoder({ syslogFormat, framing: 'none' }).encode(event).toString('utf8');
    const syslog = syslogFormat === 'rfc5424' ? parseRfc5424(text) : parseRfc3164(text);
    assert.equal(syslog.facility, 20);
    assert.equal(syslog.hostname, 'collector-1');
    const cef = parseCef(syslog.msg);
    assert.equal(cef.name, `Auth|${nasty.replace('\r\n', '  ')}`);
    assert.equal(cef.extension['msg'], nasty);
    assert.equal(cef.extension['reason'], `${nasty} `);
    assert.equal(cef.extension['duser'], nasty);
    assert.equal(cef.extension['duid'], '=');
    assert.equal(cef.extension['suser'], '\\');
    assert.equal(cef.extension['cs1'], 'Ok|ta');
    assert.equal(cef.extension['externalId'], 'id=1');
  }
});

test('dictionary lengths: values cut to the maximum with …', () => {
  const event: OcsfEvent = { ...authEvent, status: 'x'.repeat(64), message: '😀'.repeat(1024), metadata: { ...authEvent.metadata, uid: 'u'.repeat(41) } };
  const cef = parseCef(encoder().cef(event));
  assert.equal(cef.extension['outcome'], `${'x'.repeat(62)}…`);
  assert.equal(cef.extension['externalId'], `${'u'.repeat(39)}…`);
  // The whole id goes in flexString1 when externalId cuts it (and only then).
  assert.equal(cef.extension['flexString1Label'], 'eventUid');
  assert.equal(cef.extension['flexString1'], 'u'.repeat(41));
  assert.equal(cef.extension['msg'], `${'😀'.repeat(1022)}…`);
  const auth0Id = '90020231123190000123456789012345678901234567890123456789';
  const auth0 = parseCef(encoder().cef({ ...authEvent, metadata: { ...authEvent.metadata, uid: auth0Id } }));
  assert.deepEqual([auth0.extension['externalId'], auth0.extension['flexString1Label'], auth0.extension['flexString1']], [`${auth0Id.slice(0, 39)}…`, 'eventUid', auth0Id]);
  const exact = parseCef(encoder().cef({ ...authEvent, metadata: { ...authEvent.metadata, uid: 'x'.repeat(40) } }));
  assert.deepEqual([exact.extension['externalId'], exact.extension['flexString1']], ['x'.repeat(40), undefined]);
  // 40 characters in 80 UTF-16 units: not cut, so no flexString1.
  const wide = parseCef(encoder().cef({ ...authEvent, metadata: { ...authEvent.metadata, uid: '😀'.repeat(40) } }));
  assert.deepEqual([wide.extension['externalId'], wide.extension['flexString1']], ['😀'.repeat(40), undefined]);
  assert.equal(parseCef(encoder().cef({ ...authEvent, type_name: 'n'.repeat(513) })).name, `${'n'.repeat(511)}…`);
});

test('message cap: the extension is cut at a value, visibly, within max_message_bytes', () => {
  const e = encoder({ maxMessageBytes: 1024, framing: 'none' });
  for (const filler of ['a', 'é', '😀', '\\', '=']) {
    const event: OcsfEvent = { ...authEvent, message: filler.repeat(1000) };
    const bytes = e.encode(event);
    assert.ok(bytes.length <= 1024, `${filler}: ${bytes.length}`);
    assert.ok(bytes.length >= 1024 - 6, `${filler}: ${bytes.length}`);
    const cef = parseCef(parseRfc5424(bytes.toString('utf8')).msg);
    const msg = cef.extension['msg']!;
    assert.ok(msg.endsWith('…'));
    assert.equal(msg.slice(0, -1), filler.repeat([...msg].length - 1));
  }
  // Cut before reaching msg: a long user name; the pairs after it are dropped.
  const longUser = { ...authEvent, user: { name: 'u'.repeat(1023) } };
  const cef = parseCef(parseRfc5424(e.encode(longUser).toString('utf8')).msg);
  assert.ok(cef.extension['duser']!.endsWith('…'));
  assert.equal(cef.extension['msg'], undefined);
});

test('message cap: headers alone too large -> record_too_large; bad records are refused', () => {
  const e = encoder({ maxMessageBytes: 1024 });
  assert.throws(() => e.encode({ ...authEvent, type_name: '😀'.repeat(300) }), { code: 'record_too_large', retryable: false });
  assert.throws(() => e.encode(oktaRaw), { code: 'not_ocsf', retryable: false });
  assert.throws(() => e.encode({ ...authEvent, time: Number.NaN }), { code: 'unencodable_record' });
  assert.throws(() => e.encode({ ...authEvent, time: 1e15 }), { code: 'unencodable_record' });
});

test('frame(): any text, capped visibly', () => {
  const e = encoder({ maxMessageBytes: 1024, framing: 'lf' });
  assert.equal(e.frame('CEF:0|a|b|c|d|e|1|', 1, 0).toString(), '<166>1 1970-01-01T00:00:00.000Z collector-1 authwire - - - CEF:0|a|b|c|d|e|1|\n');
  const long = e.frame('x'.repeat(2000), 1, 0);
  assert.equal(long.length, 1025);
  assert.ok(long.toString().endsWith('x…\n'));
});
