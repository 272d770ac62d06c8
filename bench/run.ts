/**
 * `npm run bench`: runs every benchmark file and prints operations and events per second.
 *
 * A benchmark file exports `register(bench)`, adding tinybench tasks, and may export
 * `eventsPerTask` (task name -> events one operation handles; 1 when absent) so that the table
 * can show events per second. Pass words to run only tasks whose names contain one of them:
 * `npm run bench -- host`.
 */
import { readdirSync } from 'node:fs';
import { Bench } from 'tinybench';

interface BenchModule {
  register(bench: Bench): void | Promise<void>;
  eventsPerTask?: Record<string, number>;
  teardown?(): Promise<void>;
}

// Every *.bench.js beside this file, in name order, so a new benchmark needs no registration here.
const files = readdirSync(new URL('.', import.meta.url))
  .filter((name) => name.endsWith('.bench.js'))
  .sort()
  .map((name) => `./${name}`);
const filters = process.argv.slice(2);
// Registering a benchmark file can be costly (servers, fixtures): when a filter word names files
// (`npm run bench -- syslog`), load only those; otherwise load all and filter by task name.
const namedFiles = files.filter((file) => filters.some((word) => file.slice(2, -'.bench.js'.length).includes(word)));
const filesToLoad = namedFiles.length > 0 ? namedFiles : files;

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

const rows: string[][] = [];
for (const file of filesToLoad) {
  let module: BenchModule;
  try {
    module = (await import(file)) as BenchModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(file.slice(2))) continue;
    throw error;
  }
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  await module.register(bench);
  for (const task of [...bench.tasks]) {
    if (namedFiles.length === 0 && filters.length > 0 && !filters.some((word) => task.name.includes(word))) bench.remove(task.name);
  }
  if (bench.tasks.length === 0) {
    // Its setup may hold servers, sockets or worker threads that would keep the process alive.
    await module.teardown?.();
    continue;
  }
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state === 'errored') {
      rows.push([task.name, 'error', result.error.message, '']);
      continue;
    }
    if (result.state !== 'completed') continue;
    // Operations over the time they took (`period` = totalTime / runs), not tinybench's mean of
    // per-operation rates: that mean of reciprocals leans towards the fast operations and reads
    // high whenever they vary (a pipelined consume that returns at once, a GC pause).
    const opsPerSecond = 1000 / result.period;
    const events = module.eventsPerTask?.[task.name] ?? 1;
    rows.push([task.name, format(opsPerSecond), format(opsPerSecond * events), `±${result.latency.rme.toFixed(1)}%`]);
  }
  await module.teardown?.();
}

const header = ['task', 'ops/s', 'events/s', 'margin'];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (row: string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
console.log(line(header));
for (const row of rows) console.log(line(row));

// Latency measurements (*-latency.js) take seconds of wall time each, not operations per second:
// each runs in its own process after the table and prints its own percentiles. `npm run bench --
// latency` runs only them.
const latencyScripts = readdirSync(new URL('.', import.meta.url))
  .filter((name) => name.endsWith('-latency.js'))
  .sort();
if (filters.length === 0 || filters.some((word) => 'latency'.includes(word) || latencyScripts.some((name) => name.includes(word)))) {
  const { spawnSync } = await import('node:child_process');
  for (const name of latencyScripts) {
    console.log(`\n${name}:`);
    spawnSync(process.execPath, [new URL(`./${name}`, import.meta.url).pathname, '10'], { stdio: 'inherit' });
  }
}
