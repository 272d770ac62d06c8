import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DEPTH, anyValueToJson, decodeProtoRequest, parseJsonRequest, toRawRecords } from '../../../../plugins/receivers/otlp/decode.js';
import { encodeOfficial, requestOf } from './helpers.js';

const OPTIONS = { source: 'otlp/x', observedTime: 1000, format: 'okta', formatAttribute: 'authwire.format' };

/** Every AnyValue case, as an attribute, decoded from protobuf (official encoder) and from JSON alike. */
const VALUES = [
  { key: 's', value: { stringValue: 'text' } },
  { key: 'b', value: { boolValue: true } },
  { key: 'i', value: { intValue: '-42' } },
  { key: 'big', value: { intValue: '9007199254740993' } },
  { key: 'd', value: { doubleValue: 2.5 } },
  { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
  { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, {}, { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } }] } } },
  { key: 'map', value: { kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [] } } }, { key: 'a', value: { stringValue: 'last wins' } }] } } },
  { key: 'empty', value: {} },
  { key: '__proto__', value: { stringValue: 'an own key, not the prototype' } },
];

const EXPECTED = {
  s: 'text',
  b: true,
  i: -42,
  big: '9007199254740993',
  d: 2.5,
  bytes: 'AQL/',
  arr: [1, null, { k: 'v' }],
  map: { a: 'last wins' },
  empty: null,
};

function check(attributes: Record<string, unknown> | undefined): void {
  assert.ok(attributes !== undefined);
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value, 'an own key, not the prototype');
  const { ['__proto__']: _own, ...rest } = attributes;
  assert.deepEqual({ ...rest }, EXPECTED);
}

test('attribute values: every AnyValue case, the same from protobuf and from OTLP/JSON', () => {
  const request = requestOf([{ body: { stringValue: 'x' }, attributes: VALUES }], [], {});
  const fromProto = toRawRecords(decodeProtoRequest(encodeOfficial(request)), OPTIONS);
  const fromJson = toRawRecords(parseJsonRequest(JSON.stringify(request)), OPTIONS);
  check(fromProto.records[0]!.attributes);
  check(fromJson.records[0]!.attributes);
  // JSON may also carry int64 as numbers and non-finite doubles as strings.
  assert.equal(anyValueToJson({ intValue: 7 }), 7);
  assert.equal(anyValueToJson({ doubleValue: 'NaN' }), 'NaN');
  assert.equal(anyValueToJson({ doubleValue: Number.POSITIVE_INFINITY }), 'Infinity');
});

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
}

test('values nested deeper than MAX_DEPTH reject the record (body: unsupported_body; attributes: invalid_attributes)', () => {
  const ok = toRawRecords(parseJsonRequest(JSON.stringify(requestOf([{ body: nested(MAX_DEPTH) }]))), OPTIONS);
  assert.equal(ok.records.length, 1);
  const deep = toRawRecords(parseJsonRequest(JSON.stringify(requestOf([{ body: nested(MAX_DEPTH + 2) }, { body: { stringValue: 'x' }, attributes: [{ key: 'a', value: nested(MAX_DEPTH + 2) }] }]))), OPTIONS);
  assert.deepEqual(deep.records, []);
  assert.deepEqual(deep.rejected.map((l) => [l.reason, l.detail]), [
    ['unsupported_body', `resourceLogs[0].scopeLogs[0].logRecords[0]: the kvlist body is nested deeper than ${MAX_DEPTH} levels`],
    ['invalid_attributes', `resourceLogs[0].scopeLogs[0].logRecords[1]: attributes: nested deeper than ${MAX_DEPTH} levels`],
  ]);
  assert.equal(deep.total, 2);
});

test('a resource with an unreadable attribute rejects its records, not the request', () => {
  const request = { resourceLogs: [{ resource: { attributes: [{ key: 'r', value: nested(MAX_DEPTH + 2) }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }, requestOf([{ body: { stringValue: 'y' } }])['resourceLogs'] as unknown[]].flat() };
  const conversion = toRawRecords(parseJsonRequest(JSON.stringify(request)), OPTIONS);
  assert.deepEqual(conversion.records.map((r) => r.payload), ['y']);
  assert.deepEqual(conversion.rejected.map((l) => l.reason), ['invalid_attributes']);
});
