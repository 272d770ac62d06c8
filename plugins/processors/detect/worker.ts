/**
 * The worker-thread side of a detect partition (loaded by piscina in its own thread). The
 * partition's state is a WindowEngine in this module's scope, keyed by the partition id that the
 * `init` task carries: the pool that runs this file has exactly one thread and runs one task at a
 * time, so a partition's state never moves and its tasks run in the order they were sent.
 *
 * Every task returns a WorkerReply; an exception in the engine is returned as `ok: false` (the
 * thread survives it) instead of being thrown, so the main thread can tell it from a dead thread.
 */
import { WindowEngine } from './engine.js';
import type { RawDetection } from './engine.js';
import type { WorkerReply, WorkerTask } from './worker-protocol.js';

const engines = new Map<number, WindowEngine>();
const NO_DETECTIONS: RawDetection[] = [];

function engineOf(partition: number): WindowEngine {
  const engine = engines.get(partition);
  if (engine === undefined) throw Object.assign(new Error(`partition ${partition} is not initialized on this thread`), { code: 'partition_not_initialized' });
  return engine;
}

function run(task: WorkerTask): WorkerReply {
  switch (task.op) {
    case 'init':
      engines.set(task.partition, new WindowEngine(task.rules, task.limits));
      return { ok: true, detections: NO_DETECTIONS };
    case 'observe': {
      const engine = engineOf(task.partition);
      if (task.columns.segmentEnds !== undefined) return { ok: true, detections: engine.observeSegments(task.columns, task.tick?.tenant ?? task.columns.tenants[0]!) };
      const observed = engine.observeColumns(task.columns);
      if (task.tick === undefined) return { ok: true, detections: observed };
      const due = engine.tick(new Map([[task.tick.tenant, task.tick.watermark]]));
      return { ok: true, detections: due.length === 0 ? observed : observed.length === 0 ? due : observed.concat(due) };
    }
    case 'observe_objects':
      return { ok: true, detections: engineOf(task.partition).observe(task.observations) };
    case 'tick': {
      const watermarks = new Map<string, number>();
      for (let i = 0; i < task.tenants.length; i++) watermarks.set(task.tenants[i]!, task.watermarks[i]!);
      return { ok: true, detections: engineOf(task.partition).tick(watermarks) };
    }
    case 'stats': {
      const engine = engineOf(task.partition);
      return { ok: true, detections: NO_DETECTIONS, stats: { keys: engine.keyCount, keysOverflowed: engine.counters.keysOverflowed, entriesEvicted: engine.counters.entriesEvicted } };
    }
    case 'dispose':
      engines.delete(task.partition);
      return { ok: true, detections: NO_DETECTIONS };
  }
}

export default function handle(task: WorkerTask): WorkerReply {
  try {
    return run(task);
  } catch (error) {
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'detect_engine_failed';
    return { ok: false, code, message: error instanceof Error ? error.message : String(error) };
  }
}
