#!/usr/bin/env node
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { createBuiltinRegistry } from '../../plugins/index.js';
import { AdminServer } from '../admin.js';
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import { normalizeCommand, readInputs } from './normalize.js';
import { registerReplayCommand } from './replay.js';
import type { ServiceConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import { Service } from '../service.js';
import { HOST_OPTIONS, loadHostSettings } from '../settings.js';
import type { HostSettings } from '../settings.js';
import { StatusReporter, finalSummary } from '../status.js';
import { processTerminal } from '../terminal.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface HostFlags {
  config: string[];
  dataDir?: string;
  logLevel?: string;
  workers?: string;
  adminPort?: string;
}

/** Flags go to convict as arguments so that its precedence (flag > env > default) holds. */
function hostArgs(flags: HostFlags): string[] {
  const args: string[] = [];
  if (flags.dataDir !== undefined) args.push(`--data-dir=${flags.dataDir}`);
  if (flags.logLevel !== undefined) args.push(`--log-level=${flags.logLevel}`);
  if (flags.workers !== undefined) args.push(`--workers=${flags.workers}`);
  if (flags.adminPort !== undefined) args.push(`--admin-port=${flags.adminPort}`);
  return args;
}

function withHostOptions(command: Command): Command {
  command.requiredOption('-c, --config <file|dir>', 'config file or directory of config files (repeatable)', collect, []);
  for (const option of HOST_OPTIONS) {
    command.addOption(new Option(option.flag, `${option.doc} (env ${option.env}, default ${option.default})`));
  }
  return command;
}

async function loadOrReport(paths: string[]): Promise<ServiceConfig | undefined> {
  try {
    return await loadConfig(paths, { registry: createBuiltinRegistry() });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const issue of error.issues) process.stderr.write(formatIssue(issue) + '\n');
      process.stderr.write(`${error.issues.length} ${error.issues.length === 1 ? 'error' : 'errors'} in the configuration\n`);
      return undefined;
    }
    throw error;
  }
}

function readHostSettings(flags: HostFlags): HostSettings | undefined {
  try {
    return loadHostSettings(hostArgs(flags));
  } catch (error) {
    process.stderr.write(errorMessage(error) + '\n');
    return undefined;
  }
}

async function run(flags: HostFlags): Promise<void> {
  const host = readHostSettings(flags);
  if (!host) return void (process.exitCode = 1);
  const logger = createLogger(processTerminal, host.logLevel);
  const config = await loadOrReport(flags.config);
  if (!config) return void (process.exitCode = 1);

  const service = new Service(config, { logger, dataDir: host.dataDir, workers: host.workers });
  // After start, nothing may stop the process but a signal: a stray error is logged and counted.
  process.on('uncaughtException', (error) => logger.error(`uncaught error: ${errorMessage(error)}`, { stack: error.stack }));
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${errorMessage(reason)}`));
  try {
    await service.start();
  } catch (error) {
    logger.error(errorMessage(error));
    process.exitCode = 1;
    return;
  }
  const status = new StatusReporter(processTerminal, () => service.stats());
  status.start();
  let running = true;
  const admin = host.adminPort > 0 ? new AdminServer(host.adminPort, () => service.stats(), () => running) : undefined;
  if (admin) {
    try {
      const port = await admin.start();
      logger.info('admin endpoint listening', { address: `http://127.0.0.1:${port}` });
    } catch (error) {
      logger.error(`admin endpoint failed to start: ${errorMessage(error)}`);
    }
  }

  // A service runs until it is told to stop, even when every receiver is idle or done.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stoppingSince: number | undefined;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stoppingSince !== undefined) {
      // Under `npm start` one Ctrl-C arrives twice (from the terminal and forwarded by npm);
      // a second Ctrl-C a moment later means "now": give up on draining.
      if (Date.now() - stoppingSince < 1000) return;
      processTerminal.writeErr(`\n${signal} again: exiting without draining\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    running = false;
    status.stop();
    clearInterval(keepAlive);
    logger.info(`${signal} received: draining and shutting down`);
    await admin?.stop();
    const errors = await service.shutdown();
    processTerminal.writeErr(finalSummary(service.stats()));
    process.exitCode = errors.length > 0 ? 1 : 0;
    // Keep-alive handles (sockets of plugins that misbehave) must not hold the process open.
    setTimeout(() => process.exit(), 50).unref();
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

async function validate(flags: HostFlags): Promise<void> {
  const config = await loadOrReport(flags.config);
  if (!config) return void (process.exitCode = 1);
  const tenants = [...new Set([...config.pipelines.values()].map((p) => p.tenant))].sort();
  process.stdout.write(`configuration is valid: ${config.files.length} ${config.files.length === 1 ? 'file' : 'files'}, ${config.pipelines.size} ${config.pipelines.size === 1 ? 'pipeline' : 'pipelines'}, tenants: ${tenants.join(', ')}\n`);
}

async function normalize(files: string[], options: { format: string; tenant: string; config: string[] }): Promise<void> {
  let config: ServiceConfig | undefined;
  if (options.config.length > 0) {
    config = await loadOrReport(options.config);
    if (!config) return void (process.exitCode = 1);
  }
  let inputs;
  try {
    inputs = readInputs(files);
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    return void (process.exitCode = 2);
  }
  process.exitCode = normalizeCommand(inputs, { format: options.format, tenant: options.tenant, config }, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

function components(options: { json?: boolean }): void {
  const factories = createBuiltinRegistry().list();
  if (options.json) {
    const listing = factories.map((f) => ({ kind: f.kind, type: f.type, stability: f.stability, description: f.description, defaultConfig: f.createDefaultConfig() }));
    process.stdout.write(JSON.stringify(listing, null, 2) + '\n');
    return;
  }
  for (const factory of factories) {
    process.stdout.write(`${factory.kind} ${factory.type} (${factory.stability})\n  ${factory.description}\n  default config:\n`);
    const config = stringify(factory.createDefaultConfig() ?? {}).trimEnd();
    process.stdout.write(config.split('\n').map((line) => `    ${line}`).join('\n') + '\n\n');
  }
}

export function buildProgram(): Command {
  const program = new Command('authwire')
    .description('Identity and access events from IAM systems to SIEMs, normalized to OCSF, with credential-attack detections.')
    .version(packageJson.version, '-v, --version', 'print the version')
    .showHelpAfterError();
  withHostOptions(program.command('run').description('run the pipelines of one or more config files')).action(run);
  withHostOptions(program.command('validate').description('check config files and report every error; exit 1 when there is one')).action(validate);
  program.command('normalize').description('print what vendor records become in OCSF: one event per line on stdout, dead letters on stderr')
    .argument('[files...]', 'files of records (JSON, a JSON array, NDJSON, or text lines); stdin when none')
    .requiredOption('-f, --format <format>', 'the records\' format: keycloak.event, keycloak.admin_event, mfa_api, okta, entra.signin, entra.audit, auth0, linux.auth, windows.security, mapping.<name>')
    .option('--tenant <tenant>', 'tenant to stamp on the events', 'cli')
    .option('-c, --config <file|dir>', 'config whose normalize processors define mapping.<name> formats (repeatable)', collect, [])
    .action(normalize);
  program.command('components').description('list every registered component with its kind, stability and default config')
    .option('--json', 'print as JSON').action(components);
  registerReplayCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
