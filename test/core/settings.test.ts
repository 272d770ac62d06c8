import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import test from 'node:test';
import { loadHostSettings } from '../../core/settings.js';

test('host settings: defaults', () => {
  assert.deepEqual(loadHostSettings([], {}), { dataDir: './data', logLevel: 'info', workers: Math.max(1, availableParallelism() - 1), adminPort: 0 });
});

test('host settings: the environment beats the default', () => {
  const env = { AUTHWIRE_DATA_DIR: '/var/lib/authwire', AUTHWIRE_LOG_LEVEL: 'debug', AUTHWIRE_WORKERS: '3', AUTHWIRE_ADMIN_PORT: '9464' };
  assert.deepEqual(loadHostSettings([], env), { dataDir: '/var/lib/authwire', logLevel: 'debug', workers: 3, adminPort: 9464 });
});

test('host settings: a flag beats the environment', () => {
  const env = { AUTHWIRE_DATA_DIR: '/var/lib/authwire', AUTHWIRE_LOG_LEVEL: 'debug', AUTHWIRE_WORKERS: '3', AUTHWIRE_ADMIN_PORT: '9464' };
  const args = ['--data-dir=/srv/aw', '--log-level=warn', '--workers=5', '--admin-port=9000'];
  assert.deepEqual(loadHostSettings(args, env), { dataDir: '/srv/aw', logLevel: 'warn', workers: 5, adminPort: 9000 });
});

test('host settings: invalid values name the flag and the variable', () => {
  assert.throws(() => loadHostSettings(['--log-level=loud'], { AUTHWIRE_WORKERS: 'many' }), {
    message: [
      'invalid host settings:',
      '  --log-level / AUTHWIRE_LOG_LEVEL: must be one of the possible values: ["debug","info","warn","error","silent"]: value was "loud"',
      '  --workers / AUTHWIRE_WORKERS: must be a positive integer',
    ].join('\n'),
  });
});
