import assert from 'node:assert/strict';
import test from 'node:test';
import type { Batch, DeadLetter, Host, RawRecord } from '../../../../core/api.js';
import { RetryableError } from '../../../../core/errors.js';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { normalizeFactory } from '../../../../plugins/processors/normalize/index.js';
import { parseJsonPayload, textPayload } from '../../../../plugins/processors/normalize/normalize.js';
import { CLASS, createEvent } from '../../../../plugins/processors/normalize/ocsf.js';

const T = Date.UTC(2026, 0, 1);
const raw = (format: string, payload: unknown): RawRecord => ({ format, payload, observedTime: T, source: 'r' });

async function started(host: Host = new RecordingHost()): Promise<{ processor: Awaited<ReturnType<typeof normalizeFactory.create>>; out: CollectingConsumer }> {
  const out = new CollectingConsumer();
  const processor = await normalizeFactory.create(testSettings('processor', 'normalize'), normalizeFactory.createDefaultConfig(), out);
  await processor.start(host);
  return { processor, out };
}

const ocsf = createEvent({ classUid: CLASS.AUTHENTICATION, activityId: 1, time: T, statusId: 1, severityId: 1, product: { name: 'X', vendor_name: 'Y' }, uid: 'u1', eventCode: 'LOGIN', originalTime: String(T), format: 'keycloak.event', tenant: 'acme', observedTime: T });

test('normalize: OCSF events pass through untouched; unmappable records are dead-lettered with their reason and original', async () => {
  const host = new RecordingHost();
  const { processor, out } = await started(host);
  const input: Batch = { tenant: 'acme', records: [ocsf, raw('nosuch.format', '{"a":1}'), raw('keycloak.event', '{"type":"LOGIN",'), raw('linux.auth', { not: 'text' })] };
  await processor.consume(input);
  assert.equal(out.batches.length, 1);
  assert.equal(out.batches[0]!.records[0], ocsf);
  assert.equal(out.batches[0]!.records.length, 1);
  assert.notEqual(out.batches[0], input, 'a new batch is built; the input is not changed');
  assert.equal(input.records.length, 4);
  assert.deepEqual(host.deadLetters, [
    { tenant: 'acme', reason: 'unknown_format', detail: 'no mapper for format "nosuch.format"', format: 'nosuch.format', original: '{"a":1}', observedTime: T },
    { tenant: 'acme', reason: 'malformed_json', detail: "payload is not valid JSON: Expected double-quoted property name in JSON at position 16", format: 'keycloak.event', original: '{"type":"LOGIN",', observedTime: T },
    { tenant: 'acme', reason: 'not_text', detail: 'payload is object, not a text line', format: 'linux.auth', original: { not: 'text' }, observedTime: T },
  ]);
});

test('normalize: a batch with nothing mappable forwards nothing', async () => {
  const { processor, out } = await started();
  await processor.consume({ tenant: 'acme', records: [raw('nosuch', 'x')] });
  assert.equal(out.batches.length, 0);
});

test('normalize: when the dead-letter output fails, the batch is refused (retryable) and nothing is forwarded', async () => {
  const host: Host = {
    reportError() {},
    deadLetter: async (_tenant: string, _letters: readonly DeadLetter[]) => {
      throw new RetryableError('dead_letter_unavailable', 'disk full');
    },
  };
  const { processor, out } = await started(host);
  await assert.rejects(processor.consume({ tenant: 'acme', records: [ocsf, raw('nosuch', 'x')] }), { code: 'dead_letter_unavailable', retryable: true });
  assert.equal(out.batches.length, 0);
});

test('normalize: consume before start or after shutdown is refused; shutdown is idempotent', async () => {
  const out = new CollectingConsumer();
  const processor = await normalizeFactory.create(testSettings('processor', 'normalize'), normalizeFactory.createDefaultConfig(), out);
  await assert.rejects(processor.consume({ tenant: 'acme', records: [ocsf] }), { code: 'not_started' });
  await processor.start(new RecordingHost());
  await processor.shutdown();
  await processor.shutdown();
  await assert.rejects(processor.consume({ tenant: 'acme', records: [ocsf] }), { code: 'shut_down' });
});

test('payload decoding: JSON text, UTF-8 bytes and parsed values; text lines', () => {
  assert.deepEqual(parseJsonPayload('{"a":1}'), { a: 1 });
  assert.deepEqual(parseJsonPayload(Buffer.from('{"a":2}')), { a: 2 });
  const parsed = { a: 3 };
  assert.equal(parseJsonPayload(parsed), parsed);
  assert.throws(() => parseJsonPayload(Buffer.from([0xff, 0xfe])), { reason: 'malformed_json', message: 'payload bytes are not valid UTF-8' });
  assert.equal(textPayload(Buffer.from('Nov 23 sshd')), 'Nov 23 sshd');
  assert.throws(() => textPayload(null), { reason: 'not_text', message: 'payload is null, not a text line' });
});

test('createEvent: every field present in one order, type_uid and captions derived', () => {
  assert.deepEqual(Object.keys(ocsf), [
    'class_uid', 'class_name', 'category_uid', 'category_name', 'activity_id', 'activity_name', 'type_uid', 'type_name', 'severity_id', 'severity',
    'time', 'status_id', 'status', 'status_code', 'status_detail', 'message', 'metadata', 'actor', 'user', 'src_endpoint', 'dst_endpoint',
    'http_request', 'service', 'session', 'auth_factors', 'is_mfa', 'is_remote', 'logon_type', 'logon_type_id', 'auth_protocol', 'auth_protocol_id',
    'group', 'privileges', 'resource', 'user_result', 'unmapped',
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(ocsf)), {
    class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management', activity_id: 1, activity_name: 'Logon',
    type_uid: 300201, type_name: 'Authentication: Logon', severity_id: 1, severity: 'Informational', time: T, status_id: 1, status: 'Success',
    metadata: { version: '1.8.0', product: { name: 'X', vendor_name: 'Y' }, uid: 'u1', event_code: 'LOGIN', tenant_uid: 'acme', original_time: String(T), log_name: 'keycloak.event', logged_time: T },
  });
});
