/**
 * The configs users copy must work: every shipped pipeline config, and every complete config
 * example (a YAML block with a `service:` section) in the READMEs, validates against the
 * built-in components.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { ConfigError, formatIssue } from '../core/config/issues.js';
import { loadConfig } from '../core/config/load.js';
import { createBuiltinRegistry } from '../plugins/index.js';
import { sourcePath, writeConfigDir } from './helpers.js';

async function assertValid(paths: string[], env: Record<string, string> = {}): Promise<void> {
  try {
    await loadConfig(paths, { registry: createBuiltinRegistry(), env });
  } catch (error) {
    if (error instanceof ConfigError) assert.fail(error.issues.map(formatIssue).join('\n'));
    throw error;
  }
}

test('pipelines/default.yaml and the per-tenant example validate', async () => {
  await assertValid([sourcePath('pipelines/default.yaml')]);
  await assertValid([sourcePath('pipelines/examples/tenants')]);
});

const readmes = ['README.md', ...['receivers', 'processors', 'exporters'].flatMap((kind) => {
  try {
    return readdirSync(sourcePath('plugins', kind)).map((type) => join('plugins', kind, type, 'README.md'));
  } catch {
    return [];
  }
})];

for (const readme of readmes) {
  test(`${readme}: its complete config examples validate`, async () => {
    const text = readFileSync(sourcePath(readme), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((block) => /^service:/m.test(block));
    assert.ok(blocks.length > 0, `${readme} has no complete config example`);
    for (const block of blocks) {
      const dir = await writeConfigDir({});
      writeFileSync(join(dir, 'example.yaml'), block);
      // Examples keep secrets in the environment, as users should: give each variable a value.
      const env = Object.fromEntries([...block.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => [match[1]!, 'example-value']));
      await assertValid([dir], env);
    }
  });
}
