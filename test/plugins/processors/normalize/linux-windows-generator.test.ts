/**
 * 5000 generator records of linux.auth and windows.security (seed 7, every scenario) through the
 * real mappers: exact counts per format, event code, class/activity and status, and per
 * dead-letter reason (none: the generator only writes lines these mappers know). The generator
 * renders each simulated action in the vendor's own shape, so these counts are what the mappers
 * make of its whole action vocabulary, attack scenarios included.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { RawRecord } from '../../../../core/api.js';
import { mapRecord } from '../../../../plugins/processors/normalize/normalize.js';
import { builtinMapperTable } from '../../../../plugins/processors/normalize/mappers/index.js';
import type { IamEvent } from '../../../../plugins/processors/normalize/ocsf.js';
import { run } from '../../receivers/generator/helpers.js';

test('5000 generator records of linux.auth and windows.security map to exact counts, none dead-lettered', async () => {
  const { records } = await run({ count: 5000, seed: 7, formats: ['linux.auth', 'windows.security'], batch_size: 500 });
  assert.equal(records.length, 5000);
  const mappers = builtinMapperTable();
  const counts: Record<string, number> = {};
  const deadLetters: Record<string, number> = {};
  let timeMismatches = 0;
  for (const r of records) {
    const result = mapRecord(mappers, r as RawRecord, { tenant: 'acme', observedTime: r.observedTime, format: r.format });
    if ('reason' in result && 'original' in result) {
      const key = `${r.format} ${(result as { reason: string }).reason}`;
      deadLetters[key] = (deadLetters[key] ?? 0) + 1;
      continue;
    }
    const e = result as IamEvent;
    const key = `${r.format} ${e.metadata.event_code} ${e.type_name} ${e.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
    // Both formats write whole seconds of the simulated clock (linux without a year).
    if (e.time !== Math.floor(r.observedTime / 1000) * 1000) timeMismatches++;
  }
  assert.deepEqual(deadLetters, {});
  assert.equal(timeMismatches, 0);
  assert.deepEqual(counts, {
    'linux.auth gpasswd.user_added Group Management: Add User Success': 50,
    'linux.auth gpasswd.user_removed Group Management: Remove User Success': 51,
    'linux.auth passwd.password_changed Account Change: Password Change Success': 67,
    'linux.auth sshd.accepted_keyboard_interactive Authentication: Logon Success': 344,
    'linux.auth sshd.accepted_password Authentication: Logon Success': 351,
    'linux.auth sshd.accepted_publickey Authentication: Logon Success': 666,
    'linux.auth sshd.account_locked Account Change: Lock Success': 1,
    'linux.auth sshd.disconnected Authentication: Logoff Success': 181,
    'linux.auth sshd.failed_password Authentication: Logon Failure': 343,
    'linux.auth sshd.invalid_user Authentication: Logon Failure': 22,
    'linux.auth sshd.invalid_verification_code Authentication: Logon Failure': 57,
    'linux.auth sshd.session_closed Authentication: Logoff Success': 160,
    'linux.auth sudo.command Authentication: Account Switch Success': 246,
    'linux.auth useradd.new_user Account Change: Create Success': 1,
    'linux.auth usermod.add_to_group Group Management: Add User Success': 53,
    'windows.security 4624 Authentication: Logon Success': 1335,
    'windows.security 4625 Authentication: Logon Failure': 305,
    'windows.security 4634 Authentication: Logoff Success': 459,
    'windows.security 4720 Account Change: Create Success': 1,
    'windows.security 4722 Account Change: Enable Success': 36,
    'windows.security 4724 Account Change: Password Reset Success': 49,
    'windows.security 4725 Account Change: Disable Success': 24,
    'windows.security 4728 Group Management: Add User Success': 86,
    'windows.security 4729 Group Management: Remove User Success': 65,
    'windows.security 4732 Group Management: Add User Success': 11,
    'windows.security 4740 Account Change: Lock Success': 1,
    'windows.security 4756 Group Management: Add User Success': 27,
    'windows.security 4767 Account Change: Unlock Success': 8,
  });
});
