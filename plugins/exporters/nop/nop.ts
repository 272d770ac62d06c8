import type { Batch, Exporter, Host } from '../../../core/api.js';
import { PermanentError } from '../../../core/errors.js';

type State = 'created' | 'started' | 'shut_down';

const DONE: Promise<void> = Promise.resolve();

/**
 * Accepts every batch and drops it: no encoding, no counting, no allocation per batch (one shared
 * resolved promise), so a benchmark through it measures the pipeline and not an exporter. Like
 * every exporter it refuses batches before start and after shutdown, which is one comparison.
 */
export class NopExporter implements Exporter {
  readonly mutatesData = false;
  private state: State = 'created';
  private readonly id: string;

  constructor(id: string) {
    this.id = id;
  }

  async start(_host: Host): Promise<void> {
    if (this.state === 'shut_down') throw new PermanentError('shut_down', `exporter ${this.id} was shut down; it cannot start again`);
    this.state = 'started';
  }

  consume(_batch: Batch): Promise<void> {
    if (this.state === 'started') return DONE;
    return Promise.reject(
      this.state === 'shut_down'
        ? new PermanentError('shut_down', `exporter ${this.id} is shut down; consume refused`)
        : new PermanentError('not_started', `exporter ${this.id} is not started; consume refused`),
    );
  }

  async shutdown(): Promise<void> {
    this.state = 'shut_down';
  }
}
