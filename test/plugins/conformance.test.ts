/**
 * Every registered built-in factory keeps the contract (DESIGN.md, convention 7): its type names
 * its folder, its default config is valid against its schema (apart from keys the user must
 * always supply), and a component created from it can be shut down without being started,
 * twice.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import test from 'node:test';
import type { Component, ExporterFactory, Factory } from '../../core/api.js';
import { validateAgainst } from '../../core/config/schema.js';
import { COMPONENT_TYPE } from '../../core/registry.js';
import { CollectingConsumer, testSettings } from '../../core/testing.js';
import { builtinFactories, createBuiltinRegistry } from '../../plugins/index.js';
import { sourcePath } from '../helpers.js';

test('the built-in registry holds every built-in factory once', () => {
  const registry = createBuiltinRegistry();
  assert.equal(registry.list().length, builtinFactories.length);
  assert.throws(() => registry.register(builtinFactories[0]!), /is already registered by built-in/);
});

for (const factory of builtinFactories) {
  const label = `${factory.kind} ${factory.type}`;

  test(`${label}: type is lower_snake_case and names its folder, whose index exports only the factory`, async () => {
    assert.match(factory.type, COMPONENT_TYPE);
    const folder = sourcePath('plugins', `${factory.kind}s`, factory.type);
    assert.ok(existsSync(folder), `plugins/${factory.kind}s/${factory.type}/ does not exist`);
    const index = (await import(`../../plugins/${factory.kind}s/${factory.type}/index.js`)) as Record<string, unknown>;
    assert.deepEqual(Object.values(index), [factory]);
    assert.ok(existsSync(sourcePath('plugins', `${factory.kind}s`, factory.type, 'README.md')), 'the plugin documents its config in README.md');
  });

  test(`${label}: default config is valid against its schema, except for keys the user must supply`, () => {
    const config = factory.createDefaultConfig();
    assert.notEqual(config, factory.createDefaultConfig(), 'createDefaultConfig returns a fresh object each call');
    const required = new Set((factory.configSchema.required as string[] | undefined) ?? []);
    const problems = validateAgainst(factory.configSchema, structuredClone(config));
    for (const problem of problems) {
      assert.equal(problem.message, 'is required', `${problem.path.join('::')}: ${problem.message}`);
      assert.ok(required.has(String(problem.path[0])), `${problem.path.join('::')} is required but not listed in the schema's required`);
      assert.equal((config as Record<string, unknown>)[String(problem.path[0])], undefined);
    }
  });

  test(`${label}: create, then shutdown without start, twice`, async () => {
    const settings = testSettings(factory.kind, factory.type);
    const config = factory.createDefaultConfig();
    const component: Component = factory.kind === 'exporter'
      ? await (factory as ExporterFactory).create(settings, config)
      : await (factory as Exclude<Factory, ExporterFactory>).create(settings, config, new CollectingConsumer());
    await component.shutdown();
    await component.shutdown();
  });
}
