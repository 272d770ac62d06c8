import convict from 'convict';
import { availableParallelism } from 'node:os';
import type { LogLevel } from './logger.js';

/** Host-level settings: not part of any pipeline, the same for every tenant. */
export interface HostSettings {
  dataDir: string;
  logLevel: LogLevel;
  workers: number;
  /** 0 disables the admin endpoint. */
  adminPort: number;
}

const HOST_SCHEMA = {
    dataDir: {
      doc: 'Directory for checkpoints, queues and other durable state; one sub-folder per tenant and component.',
      format: String,
      default: './data',
      env: 'AUTHWIRE_DATA_DIR',
      arg: 'data-dir',
    },
    logLevel: {
      doc: 'Minimum level of the host log (stderr).',
      format: ['debug', 'info', 'warn', 'error', 'silent'],
      default: 'info',
      env: 'AUTHWIRE_LOG_LEVEL',
      arg: 'log-level',
    },
    workers: {
      doc: 'Worker threads available to components that use them (the detector).',
      format: 'nat',
      default: Math.max(1, availableParallelism() - 1),
      env: 'AUTHWIRE_WORKERS',
      arg: 'workers',
    },
    adminPort: {
      doc: 'Port of the admin endpoint (/healthz, /metrics) on 127.0.0.1; 0 disables it.',
      format: 'port',
      default: 0,
      env: 'AUTHWIRE_ADMIN_PORT',
      arg: 'admin-port',
    },
};

/** Option names and their environment variables, for --help. */
export const HOST_OPTIONS = [
  { flag: '--data-dir <dir>', env: 'AUTHWIRE_DATA_DIR', doc: 'directory for durable state', default: './data' },
  { flag: '--log-level <level>', env: 'AUTHWIRE_LOG_LEVEL', doc: 'debug, info, warn, error or silent', default: 'info' },
  { flag: '--workers <n>', env: 'AUTHWIRE_WORKERS', doc: 'worker threads for the detector', default: 'cores - 1' },
  { flag: '--admin-port <port>', env: 'AUTHWIRE_ADMIN_PORT', doc: 'admin endpoint port on 127.0.0.1 (0 = off)', default: '0' },
] as const;

const KEY_OF_ENV: Record<string, string> = {
  AUTHWIRE_DATA_DIR: 'dataDir',
  AUTHWIRE_LOG_LEVEL: 'logLevel',
  AUTHWIRE_WORKERS: 'workers',
  AUTHWIRE_ADMIN_PORT: 'adminPort',
};

/**
 * Reads host settings: a command-line flag beats the environment, which beats the default.
 * Throws an Error naming the setting, its flag and its variable when a value is invalid.
 */
export function loadHostSettings(args: readonly string[], env: NodeJS.ProcessEnv = process.env): HostSettings {
  // convict reads flags and variables itself (its precedence: default < env < args).
  const config = convict(HOST_SCHEMA, { args: [...args], env: { ...env } });
  try {
    config.validate({ allowed: 'warn' });
  } catch (error) {
    const lines = (error as Error).message.split('\n').map((line) => {
      const option = HOST_OPTIONS.find((o) => line.startsWith(KEY_OF_ENV[o.env] + ':'));
      return option ? `${option.flag.split(' ')[0]} / ${option.env}: ${line.slice(line.indexOf(':') + 2)}` : line;
    });
    throw new Error(`invalid host settings:\n  ${lines.join('\n  ')}`);
  }
  return {
    dataDir: config.get('dataDir'),
    logLevel: config.get('logLevel') as LogLevel,
    workers: config.get('workers'),
    adminPort: config.get('adminPort'),
  };
}
