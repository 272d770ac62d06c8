import assert from 'node:assert/strict';
import test from 'node:test';
import { CollectingConsumer, RecordingHost, testSettings } from '../../../../core/testing.js';
import { detectFactory } from '../../../../plugins/processors/detect/index.js';
import type { DetectProcessor } from '../../../../plugins/processors/detect/detect.js';
import { createEvent } from '../../../../plugins/processors/normalize/ocsf.js';

const T0 = Date.UTC(2026, 0, 1);

function accountCreated(name: string, logName: string, time: number): ReturnType<typeof createEvent> {
  const event = createEvent({ classUid: 3001, activityId: 1, time, statusId: 1, severityId: 1, product: { name: 'x', vendor_name: 'x' }, uid: `${logName}:${name}`, eventCode: 'create', originalTime: String(time), format: logName, tenant: 'acme', observedTime: time });
  event.user = { name };
  return event;
}

test('flush (end of input) judges absences still open; without it they wait for the watermark', async () => {
  const out = new CollectingConsumer();
  const config = {
    ...detectFactory.createDefaultConfig(),
    workers: 0,
    rules: [{
      id: 'created_without_iam', name: 'Created without IAM', description: '', severity: 'high' as const, attack: [], type: 'absence' as const,
      filter: { class_uid: 3001, activity_id: 1, 'metadata.log_name': 'linux.auth' },
      absent: { filter: { class_uid: 3001, activity_id: 1, 'metadata.log_name': 'okta' } },
      group_by: ['user.name'], timespan: '1h',
    }],
  };
  const processor = (await detectFactory.create(testSettings('processor', 'detect'), config, out)) as DetectProcessor;
  await processor.start(new RecordingHost());
  await processor.consume({ tenant: 'acme', records: [accountCreated('backdoor', 'linux.auth', T0), accountCreated('alice', 'linux.auth', T0 + 1000), accountCreated('alice', 'okta', T0 + 2000)] });
  const findingsOf = (): unknown[] => out.records.filter((r) => (r as { class_uid: number }).class_uid === 2004);
  assert.equal(findingsOf().length, 0);
  await processor.flush();
  const findings = findingsOf() as { time: number; finding_info: { analytic: { uid: string } }; unmapped: { key: Record<string, string> } }[];
  assert.deepEqual(findings.map((f) => [f.finding_info.analytic.uid, f.unmapped.key['user.name'], f.time - T0]), [['created_without_iam', 'backdoor', 3_600_000]]);
  await processor.shutdown();
  await assert.rejects(processor.flush(), { code: 'shut_down' });
});
