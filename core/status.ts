import type { ComponentStats } from './counting.js';
import type { Terminal } from './terminal.js';

function rate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k/s`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

function label(stats: ComponentStats): string {
  return stats.pipeline ? `${stats.id}@${stats.pipeline}` : stats.id;
}

/**
 * The live line of events per second per component: redrawn in place every second on a TTY,
 * printed as a plain line every `plainIntervalMs` otherwise (logs, CI, `| tee`).
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private previous = new Map<ComponentStats, number>();
  private previousAt = 0;

  constructor(
    private readonly terminal: Terminal,
    private readonly stats: () => ComponentStats[],
    private readonly plainIntervalMs = 5000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.previousAt = this.clock();
    for (const stats of this.stats()) this.previous.set(stats, stats.records);
    const interval = this.terminal.interactive ? 1000 : this.plainIntervalMs;
    this.timer = setInterval(() => this.terminal.setStatus(this.line()), interval);
    this.timer.unref();
  }

  /** One status line: rate and total per component, receivers first. */
  line(): string {
    const now = this.clock();
    const seconds = Math.max((now - this.previousAt) / 1000, 1e-3);
    const parts: string[] = [];
    for (const stats of this.stats()) {
      const before = this.previous.get(stats) ?? 0;
      const kind = stats.kind === 'receiver' ? 'in' : stats.kind === 'exporter' ? 'out' : 'proc';
      let part = `${kind} ${label(stats)} ${rate((stats.records - before) / seconds)} (${stats.records})`;
      if (stats.refused > 0) part += ` refused ${stats.refused}`;
      if (stats.deadLettered > 0) part += ` dead-lettered ${stats.deadLettered}`;
      if (stats.errors > 0) part += ` errors ${stats.errors}`;
      parts.push(part);
      this.previous.set(stats, stats.records);
    }
    this.previousAt = now;
    return `authwire · ${parts.join(' · ')}`;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.terminal.clearStatus();
  }
}

/** The summary printed when the host stops: the final count per component. */
export function finalSummary(all: readonly ComponentStats[]): string {
  const rows = all.map((stats) => [stats.kind, label(stats), stats.tenant, String(stats.records), String(stats.refused), String(stats.deadLettered), String(stats.errors)]);
  const header = ['kind', 'component', 'tenant', 'records', 'refused', 'dead-lettered', 'errors'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]): string => row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return ['final counts:', '  ' + format(header), ...rows.map((row) => '  ' + format(row))].join('\n') + '\n';
}
