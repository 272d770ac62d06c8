import type { JsonSchema } from '../../../core/api.js';
import { durationSetting, receiverConfigError } from '../../../core/poller/settings.js';
import { DURATION_PATTERN, startPositionSchema } from '../../../core/poller/schema.js';

export type EntraLogs = 'both' | 'signins' | 'audits';

export interface EntraConfig {
  /** The directory (tenant) id, a GUID, or a verified domain name. */
  tenant_id?: string;
  /** The app registration's application (client) id. */
  client_id?: string;
  client_secret?: string;
  /** The Microsoft identity platform; the token endpoint is {authority}/{tenant_id}/oauth2/v2.0/token. */
  authority: string;
  graph_url: string;
  api_version: 'v1.0' | 'beta';
  scope: string;
  logs: EntraLogs;
  poll_interval: string;
  since: string;
  overlap: string;
  /** $top. */
  page_size: number;
  /** Pages one window may hold in memory before it is narrowed. */
  max_pages: number;
  timeout: string;
  max_body_bytes: number;
  max_backoff: string;
}


export const configSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['tenant_id', 'client_id', 'client_secret'],
  properties: {
    tenant_id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$', description: 'Directory (tenant) id or verified domain.' },
    client_id: { type: 'string', minLength: 1, description: 'Application (client) id of the app registration.' },
    client_secret: { type: 'string', minLength: 1, description: 'Client secret of the app registration (secret).' },
    authority: { type: 'string', format: 'uri', pattern: '^https?://', default: 'https://login.microsoftonline.com', description: 'Microsoft identity platform authority host.' },
    graph_url: { type: 'string', format: 'uri', pattern: '^https?://', default: 'https://graph.microsoft.com', description: 'Microsoft Graph endpoint.' },
    api_version: { type: 'string', enum: ['v1.0', 'beta'], default: 'v1.0', description: 'Graph API version.' },
    scope: { type: 'string', minLength: 1, default: 'https://graph.microsoft.com/.default', description: 'OAuth scope requested.' },
    logs: { type: 'string', enum: ['both', 'signins', 'audits'], default: 'both', description: 'Which logs to pull: sign-ins, directory audits, or both.' },
    poll_interval: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Time between catch-up passes (at least 1s).' },
    since: startPositionSchema(),
    overlap: { type: 'string', pattern: DURATION_PATTERN, default: '5m', description: 'Each window starts this long before the newest delivered event (Entra logs arrive late).' },
    page_size: { type: 'integer', minimum: 1, maximum: 1000, default: 1000, description: '$top: records per page (Graph allows up to 1000).' },
    max_pages: { type: 'integer', minimum: 2, maximum: 1000, default: 10, description: 'Pages one window may hold in memory before it is narrowed.' },
    timeout: { type: 'string', pattern: DURATION_PATTERN, default: '60s', description: 'Per-request timeout.' },
    max_body_bytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024, default: 64 * 1024 * 1024, description: 'Largest page body accepted.' },
    max_backoff: { type: 'string', pattern: DURATION_PATTERN, default: '5m', description: 'Longest wait after consecutive failures.' },
  },
};

export function createDefaultConfig(): EntraConfig {
  return {
    authority: 'https://login.microsoftonline.com',
    graph_url: 'https://graph.microsoft.com',
    api_version: 'v1.0',
    scope: 'https://graph.microsoft.com/.default',
    logs: 'both',
    poll_interval: '5s',
    since: 'now',
    overlap: '5m',
    page_size: 1000,
    max_pages: 10,
    timeout: '60s',
    max_body_bytes: 64 * 1024 * 1024,
    max_backoff: '5m',
  };
}

export interface ResolvedEntraConfig {
  readonly tokenUrl: string;
  /** `{graph_url}/{api_version}`, no trailing slash. */
  readonly graphBase: string;
  readonly graphOrigin: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly logs: EntraLogs;
  readonly intervalMs: number;
  readonly overlapMs: number;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly pageSize: number;
  readonly maxPages: number;
  readonly maxBodyBytes: number;
  readonly since: string;
  /** False when created outside the host without the required keys; start() refuses then. */
  readonly complete: boolean;
}

export function resolveConfig(id: string, user: EntraConfig): ResolvedEntraConfig {
  const config: EntraConfig = { ...createDefaultConfig(), ...user };
  const fail = (key: string, message: string): never => {
    throw receiverConfigError(id, key, message);
  };
  const url = (key: string, text: string): URL => {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return fail(key, 'must be a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(key, 'must be an http or https URL');
    if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '') fail(key, 'must carry neither credentials nor a query');
    return parsed;
  };
  const duration = (key: string, text: string, minMs: number): number => durationSetting(id, key, text, minMs);
  const authority = url('authority', config.authority).toString().replace(/\/+$/, '');
  const graph = url('graph_url', config.graph_url);
  const tenant = config.tenant_id ?? 'unset';
  return {
    tokenUrl: `${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
    graphBase: `${graph.toString().replace(/\/+$/, '')}/${config.api_version}`,
    graphOrigin: graph.origin,
    clientId: config.client_id ?? '',
    clientSecret: config.client_secret ?? '',
    scope: config.scope,
    logs: config.logs,
    intervalMs: duration('poll_interval', config.poll_interval, 1000),
    overlapMs: duration('overlap', config.overlap, 0),
    timeoutMs: duration('timeout', config.timeout, 1),
    maxBackoffMs: duration('max_backoff', config.max_backoff, 1),
    pageSize: config.page_size,
    maxPages: config.max_pages,
    maxBodyBytes: config.max_body_bytes,
    since: config.since,
    complete: config.tenant_id !== undefined && config.client_id !== undefined && config.client_secret !== undefined,
  };
}
