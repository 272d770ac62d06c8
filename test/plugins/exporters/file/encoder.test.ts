import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeNdjson, encodeNdjsonRecord, isOcsfEvent, isRawRecord } from '../../../../plugins/exporters/file/encoder.js';
import { authEvent, oktaRaw } from '../testrecords.js';

test('record kinds', () => {
  assert.equal(isOcsfEvent(authEvent), true);
  assert.equal(isOcsfEvent(oktaRaw), false);
  assert.equal(isRawRecord(oktaRaw), true);
  assert.equal(isOcsfEvent({ class_uid: '3002' }), false);
  assert.equal(isRawRecord(null), false);
});

test('one record: tenant JSON is injected as given, odd values stay valid JSON', () => {
  assert.equal(
    encodeNdjsonRecord({ format: 'f"q', payload: 'p', observedTime: Number.POSITIVE_INFINITY, source: 's' }, JSON.stringify('t\n1')),
    '{"tenant":"t\\n1","format":"f\\"q","source":"s","observed_time":null,"payload":"p"}',
  );
  assert.equal(encodeNdjsonRecord(undefined, '"t"'), undefined);
  assert.equal(encodeNdjsonRecord({ other: true }, '"t"'), '{"other":true}');
});

test('an empty batch encodes to nothing', () => {
  assert.deepEqual(encodeNdjson({ tenant: 'acme', records: [] }), { text: '', encoded: 0, skipped: 0 });
});
