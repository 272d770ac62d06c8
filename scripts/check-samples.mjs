// Runs the normalizer over the real vendor samples in ../shared/data/samples (not part of the
// repository) and prints, per file, how many records mapped and why the others were
// dead-lettered. Usage: npm run build && node scripts/check-samples.mjs [--show-dead]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mapRecord } from '../dist/plugins/processors/normalize/normalize.js';
import { builtinMapperTable } from '../dist/plugins/processors/normalize/mappers/index.js';
import { splitRecords } from '../dist/plugins/processors/normalize/input.js';

const root = process.env.AUTHWIRE_SAMPLES ?? '../shared/data/samples';
const show = process.argv.includes('--show-dead');
const mappers = builtinMapperTable();
// Which format each sample folder holds; files a folder holds in another shape are named here.
const FORMAT_OF = { okta: 'okta', auth0: 'auth0', windows: 'windows.security', entra: 'entra.signin', keycloak: 'keycloak.event', linux: 'linux.auth', 'linux-auth': 'linux.auth' };

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

for (const folder of readdirSync(root)) {
  const format = FORMAT_OF[folder];
  if (!format) continue;
  for (const file of files(join(root, folder))) {
    if (!/\.(json|ndjson|log|txt)$/.test(file)) {
      console.log(`${file}: skipped (not JSON/NDJSON/text)`);
      continue;
    }
    const records = splitRecords(format, readFileSync(file, 'utf8'));
    const reasons = new Map();
    let mapped = 0;
    for (const payload of records) {
      const result = mapRecord(mappers, { format, payload, observedTime: Date.now(), source: 'samples' }, { tenant: 'samples', observedTime: Date.now(), format });
      if ('reason' in result && 'original' in result) {
        reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
        if (show) console.log(`  dead: ${result.reason}: ${result.detail}: ${String(payload).slice(0, 160)}`);
      } else mapped++;
    }
    console.log(`${file} [${format}]: ${records.length} records, ${mapped} mapped${[...reasons].map(([r, n]) => `, ${n} ${r}`).join('')}`);
  }
}
