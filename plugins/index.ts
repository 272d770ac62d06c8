import type { Factory } from '../core/api.js';
import { Registry } from '../core/registry.js';
import { fileExporterFactory } from './exporters/file/index.js';
import { nopExporterFactory } from './exporters/nop/index.js';
import { stdoutExporterFactory } from './exporters/stdout/index.js';
import { cefExporterFactory } from './exporters/cef/index.js';
import { otlpExporterFactory } from './exporters/otlp/index.js';
import { splunkHecExporterFactory } from './exporters/splunk_hec/index.js';
import { generatorFactory } from './receivers/generator/index.js';
import { auth0ReceiverFactory } from './receivers/auth0/index.js';
import { entraReceiverFactory } from './receivers/entra/index.js';
import { fileReceiverFactory } from './receivers/file/index.js';
import { httpReceiverFactory } from './receivers/http/index.js';
import { keycloakReceiverFactory } from './receivers/keycloak/index.js';
import { mfaApiReceiverFactory } from './receivers/mfa_api/index.js';
import { oktaReceiverFactory } from './receivers/okta/index.js';
import { otlpReceiverFactory } from './receivers/otlp/index.js';
import { splunkHecReceiverFactory } from './receivers/splunk_hec/index.js';
import { syslogReceiverFactory } from './receivers/syslog/index.js';
import { normalizeFactory } from './processors/normalize/index.js';
import { detectFactory } from './processors/detect/index.js';

/** Every built-in factory; the folder of each is plugins/<kind>s/<type>/. */
export const builtinFactories: readonly Factory[] = [
  // receivers
  generatorFactory,
  keycloakReceiverFactory,
  mfaApiReceiverFactory,
  oktaReceiverFactory,
  entraReceiverFactory,
  auth0ReceiverFactory,
  syslogReceiverFactory,
  fileReceiverFactory,
  otlpReceiverFactory,
  httpReceiverFactory,
  splunkHecReceiverFactory,
  // processors
  normalizeFactory,
  detectFactory,
  // exporters
  fileExporterFactory,
  nopExporterFactory,
  stdoutExporterFactory,
  otlpExporterFactory,
  splunkHecExporterFactory,
  cefExporterFactory,
];

/** A registry holding the built-in factories (duplicates are refused). */
export function createBuiltinRegistry(): Registry {
  const registry = new Registry();
  for (const factory of builtinFactories) registry.register(factory);
  return registry;
}
