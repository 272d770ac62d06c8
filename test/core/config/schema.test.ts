import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateAgainst } from '../../../core/config/schema.js';

const schema = {
  type: 'object',
  properties: {
    client_secret: { type: 'string', minLength: 16 },
    headers: { type: 'object', additionalProperties: { type: 'string', pattern: '^Bearer ' } },
    tokens: { type: 'array', items: { type: 'object', properties: { token: { type: 'string', minLength: 8 }, tenant: { type: 'string' } } } },
    mode: { type: 'string', enum: ['poll', 'stream'] },
  },
};

test('schema problems never quote a value under a secret key; other values are quoted', () => {
  const problems = validateAgainst(schema, {
    client_secret: 's3cr3t',
    headers: { Authorization: 'Basic dXNlcjpwYXNz' },
    tokens: [{ token: 'abc', tenant: 'acme' }],
    mode: 'push',
  });
  assert.deepEqual(
    problems.map((problem) => `${problem.path.join('::')}: ${problem.message}`),
    [
      'client_secret: must NOT have fewer than 16 characters, got a string of 6 characters (not shown: it is a secret)',
      'headers::Authorization: must match pattern "^Bearer ", got a string of 18 characters (not shown: it is a secret)',
      'tokens::0::token: must NOT have fewer than 8 characters, got a string of 3 characters (not shown: it is a secret)',
      'mode: must be one of "poll", "stream", got string "push"',
    ],
  );
});
