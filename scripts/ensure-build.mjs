// `npm start` rebuilds only when a TypeScript source is newer than the last build, so the demo
// starts in well under a second on a fresh `npm ci` (which already built) and never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

let built = 0;
try {
  built = statSync('dist/.tsbuildinfo').mtimeMs;
} catch {
  // never built
}
const sources = Math.max(...['core', 'plugins', 'bench', 'test'].map(newestSource), statSync('tsconfig.json').mtimeMs);
if (sources > built) {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
