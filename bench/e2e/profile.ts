/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench:e2e -- --cpu-prof DIR`):
 * self time per function (name + file:line), the largest first, and self time per file.
 *
 *   node dist/bench/e2e/profile.js [--top N] [--callers NAME] FILE.cpuprofile [...]
 *
 * Several files are summed (all threads' profiles of one server, or several runs). `--callers
 * NAME` also splits the self time of functions named NAME by their callers (two levels up).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 6);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 1);
  return url.replace(/^file:\/\//, '');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, callers: { type: 'string' } } });
  const callersOf = values.callers;
  const byCaller = new Map<string, number>();
  const top = Number(values.top ?? 40);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const path of positionals) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, ProfileNode>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
    const label = (node: ProfileNode | undefined): string =>
      node === undefined ? '-' : `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    for (let i = 0; i < profile.samples.length; i++) {
      const node = nodes.get(profile.samples[i]!)!;
      const us = profile.timeDeltas[i + 1] ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        idle += us;
        continue;
      }
      total += us;
      const file = shortUrl(url);
      const key = `${functionName || '(anonymous)'}  ${file}${url === '' ? '' : `:${lineNumber + 1}`}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      byFile.set(file, (byFile.get(file) ?? 0) + us);
      if (callersOf !== undefined && functionName === callersOf) {
        const parent = parents.get(node.id);
        const caller = `${label(parent)} <- ${label(parent === undefined ? undefined : parents.get(parent.id))}`;
        byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
      }
    }
  }
  const pct = (us: number): string => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7) + ' ms';
  console.log(`busy ${ms(total)}, idle ${ms(idle)} over ${positionals.length} profile(s)\n\nself time by function:`);
  for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${key}`);
  if (callersOf !== undefined) {
    console.log(`\nself time of ${callersOf} by caller:`);
    for (const [caller, us] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${caller}`);
  }
  console.log('\nself time by file:');
  for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms(us)} ${pct(us)}  ${file}`);
}

main();
