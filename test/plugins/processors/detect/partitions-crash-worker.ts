/**
 * A detect worker for tests that dies on demand: an observe task with a key ending in `!crash`
 * ends the thread (process.exit in a worker ends only that thread), as a crash would.
 */
import handle from '../../../../plugins/processors/detect/worker.js';
import type { WorkerReply, WorkerTask } from '../../../../plugins/processors/detect/worker-protocol.js';

export default function crashingHandle(task: WorkerTask): WorkerReply {
  if (task.op === 'observe' && task.columns.keys.some((key) => key.endsWith('!crash'))) process.exit(3);
  return handle(task);
}
