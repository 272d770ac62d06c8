import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { SyslogConfig } from './config.js';
import { SyslogReceiver } from './syslog.js';

export const syslogReceiverFactory: ReceiverFactory<SyslogConfig> = {
  kind: 'receiver',
  type: 'syslog',
  stability: 'alpha',
  description: 'Syslog over UDP, TCP and TLS (RFC 5424 and RFC 3164; RFC 6587 octet-counted and LF-framed), handing each message to the normalizer under a configured format (linux.auth lines, Keycloak JSON events, ...).',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: SyslogConfig, next: Consumer): SyslogReceiver {
    return new SyslogReceiver(settings, config, next);
  },
};
