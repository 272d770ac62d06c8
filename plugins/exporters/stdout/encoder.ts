/**
 * The stdout exporter's encodings. Pure: no I/O, never mutates the batch, never throws on odd
 * records. NDJSON is the shared encoder of the file exporter; this module adds the `pretty` one.
 *
 * `pretty` writes one line per record, fields separated by two spaces, `-` for a missing field:
 *
 *   raw record:   <observed time>  <tenant>  <format>  <event type>  <user>  <ip>  <outcome>
 *   raw, nothing recognised:  <observed time>  <tenant>  <format>  <payload, compact, truncated>
 *   OCSF event:   <time>  <tenant>  <product>  <class>  <activity>  <user>  <src ip>  <status>  <event code>
 *   detection:    <time>  <tenant>  <product>  Detection Finding  <activity>  <severity>  <message, else title>
 *
 * Times are ISO 8601 in UTC (`2024-05-01T19:20:01.123Z`) so output does not depend on the host's
 * time zone and replayed or late events show their date. Every value taken from a record has its
 * control characters (C0, DEL, C1, Unicode line separators and bidi overrides) written as `\xNN`
 * / `\uNNNN` escapes, so a crafted username cannot move the cursor, recolour or rewrite the
 * terminal. Long values are truncated with `…`.
 */
import type { Batch, OcsfEvent, RawRecord } from '../../../core/api.js';
import { encodeNdjson, isOcsfEvent, isRawRecord } from '../file/encoder.js';
import type { EncodedBatch } from '../file/encoder.js';

export { encodeNdjson };
export type { EncodedBatch };

export interface PrettyOptions {
  /** Add ANSI colours (the component decides: a TTY and NO_COLOR unset). */
  color: boolean;
}

const SEP = '  ';
const MISSING = '-';
const FIELD_MAX = 96;
const FALLBACK_MAX = 160;

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const BOLD_RED = '\x1b[1;31m';
const CYAN = '\x1b[36m';

// C0, DEL, C1, ALM, LRM/RLM, LS/PS, bidi embeddings/overrides/isolates.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}

/** Replaces characters that a terminal would act on with visible escapes. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // do not leave half a surrogate pair
  return text.slice(0, cut) + '…';
}

/** A record's value made safe and short for one terminal column. */
function field(value: string | undefined, max = FIELD_MAX): string {
  return value === undefined || value === '' ? MISSING : escapeControl(clip(value, max));
}

function paint(text: string, code: string, color: boolean): string {
  return color && code !== '' ? code + text + RESET : text;
}

function formatTime(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : MISSING;
}

const FAILURE_WORD = /fail|deny|denied|reject|error|invalid|block/i;
const SUCCESS_WORD = /success|allow|accept|^ok$/i;

function outcomeColor(text: string): string {
  if (FAILURE_WORD.test(text)) return RED;
  if (SUCCESS_WORD.test(text)) return GREEN;
  return '';
}

// ---- OCSF -----------------------------------------------------------------------------------

const CLASS_NAMES: Record<number, string> = {
  3001: 'Account Change',
  3002: 'Authentication',
  3005: 'User Access Management',
  3006: 'Group Management',
  2004: 'Detection Finding',
};

const ACTIVITY_NAMES: Record<number, Record<number, string>> = {
  3001: { 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy', 8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable', 12: 'Unlock' },
  3002: { 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew', 6: 'Preauth', 7: 'Account Switch' },
  3005: { 1: 'Assign Privileges', 2: 'Revoke Privileges' },
  3006: { 1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User', 5: 'Delete', 6: 'Create', 7: 'Add Subgroup', 8: 'Remove Subgroup' },
  2004: { 1: 'Create', 2: 'Update', 3: 'Close' },
};

const STATUS_NAMES: Record<number, string> = { 0: 'Unknown', 1: 'Success', 2: 'Failure', 99: 'Other' };
const SEVERITY_NAMES: Record<number, string> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function ocsfLine(event: OcsfEvent, tenant: string, color: boolean): string {
  const classUid = event.class_uid;
  const className = CLASS_NAMES[classUid] ?? str(event['class_name']) ?? `class ${classUid}`;
  const activity =
    ACTIVITY_NAMES[classUid]?.[event.activity_id] ??
    (event.activity_id === 0 ? 'Unknown' : event.activity_id === 99 ? 'Other' : undefined) ??
    str(event['activity_name']) ??
    String(event.activity_id);
  const metadata = obj(event.metadata);
  const product = str(obj(metadata?.['product'])?.['name']);
  const head =
    paint(formatTime(event.time), DIM, color) + SEP + paint(field(tenant), CYAN, color) + SEP + field(product) + SEP + field(className) + SEP + field(activity);

  if (classUid === 2004) {
    const severity = SEVERITY_NAMES[event.severity_id] ?? str(event['severity']);
    // The message names the key and the count ("Password spray (src_endpoint.ip=203.0.113.9): 15 within 10m").
    const title = str(event['message']) ?? str(obj(event['finding_info'])?.['title']);
    const severityColor = event.severity_id >= 4 && event.severity_id !== 99 ? BOLD_RED : event.severity_id === 3 ? YELLOW : '';
    return head + SEP + paint(field(severity), severityColor, color) + SEP + field(title);
  }

  const user = obj(event['user']);
  const userName = str(user?.['name']) ?? str(user?.['email_addr']) ?? str(user?.['uid']);
  const ip = str(obj(event['src_endpoint'])?.['ip']);
  const status = str(event['status']) ?? (typeof event['status_id'] === 'number' ? STATUS_NAMES[event['status_id']] : undefined);
  const statusText = field(status);
  return (
    head + SEP + field(userName) + SEP + field(ip) + SEP + paint(statusText, outcomeColor(statusText), color) + SEP + field(str(metadata?.['event_code']))
  );
}

// ---- raw records ----------------------------------------------------------------------------

// Where the well-known vendors put each field; the first path found wins. Looked up in the
// payload, then in its `data` (Auth0 log streams) and `properties` (Azure Monitor diagnostics).
const EVENT_PATHS: readonly (readonly string[])[] = [
  ['eventType'], // Okta
  ['type'], // Keycloak, Auth0
  ['EventID'], // Windows Security
  ['event_type'],
  ['operationName'], // Entra
  ['operationType'], // Keycloak admin
  ['activityDisplayName'], // Entra audit
  ['action'],
];
const USER_PATHS: readonly (readonly string[])[] = [
  ['actor', 'alternateId'],
  ['userPrincipalName'],
  ['user_name'],
  ['TargetUserName'],
  ['details', 'username'],
  ['username'],
  ['userName'],
  ['user', 'name'],
  ['user'],
  ['user_id'],
  ['userId'],
  ['authDetails', 'userId'],
  ['initiatedBy', 'user', 'userPrincipalName'],
];
const IP_PATHS: readonly (readonly string[])[] = [
  ['client', 'ipAddress'],
  ['ipAddress'],
  ['ip'],
  ['IpAddress'],
  ['callerIpAddress'],
  ['authDetails', 'ipAddress'],
  ['src_ip'],
  ['source_ip'],
  ['client_ip'],
];
const OUTCOME_PATHS: readonly (readonly string[])[] = [['outcome', 'result'], ['outcome'], ['result'], ['EventType'], ['status']];

/** Values vendors use for "no value". */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '-' || value === 'null' ? undefined : value;
}

function lookup(roots: readonly Record<string, unknown>[], paths: readonly (readonly string[])[]): string | undefined {
  for (const path of paths) {
    for (const root of roots) {
      let node: unknown = root;
      for (const key of path) {
        const o = obj(node);
        node = o === undefined ? undefined : o[key];
      }
      const value = present(str(node));
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

function outcomeOf(roots: readonly Record<string, unknown>[], format: string, event: string | undefined): string | undefined {
  const direct = lookup(roots, OUTCOME_PATHS);
  if (direct !== undefined) return direct;
  for (const root of roots) {
    const errorCode = obj(root['status'])?.['errorCode']; // Entra sign-in
    if (typeof errorCode === 'number') return errorCode === 0 ? 'SUCCESS' : 'FAILURE';
    const resultType = root['resultType']; // Azure Monitor: "0" is success, anything else an error code
    if (typeof resultType === 'string' && resultType !== '') return resultType === '0' ? 'SUCCESS' : 'FAILURE';
    const error = present(str(root['error'])); // Keycloak *_ERROR events
    if (error !== undefined) return 'error:' + error;
  }
  // Auth0 log type codes: s* success, f* failure (s, f, fp, fu, ss, fs, slo, ...).
  if (format === 'auth0' && event !== undefined) {
    if (event.startsWith('f')) return 'FAILURE';
    if (event.startsWith('s')) return 'SUCCESS';
  }
  return undefined;
}

// sshd lines in auth.log: "Failed password for invalid user bob from 203.0.113.9 port 22 ssh2".
const SSHD = /\b(Accepted|Failed) (\S+) for (?:invalid user )?(\S+) from (\S+)/;
const SSHD_INVALID = /\bInvalid user (\S*) from (\S+)/;

const utf8 = new TextDecoder('utf-8');

function compact(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return utf8.decode(payload);
  try {
    return JSON.stringify(payload) ?? String(payload);
  } catch {
    return '[unprintable payload]';
  }
}

function rawLine(record: RawRecord, tenant: string, color: boolean): string {
  const head = paint(formatTime(record.observedTime), DIM, color) + SEP + paint(field(tenant), CYAN, color) + SEP + field(record.format);
  const payload = record.payload;
  let text: string | undefined;
  let parsed: Record<string, unknown> | undefined;
  if (typeof payload === 'string') text = payload;
  else if (payload instanceof Uint8Array) text = utf8.decode(payload);
  else parsed = obj(payload);
  if (text !== undefined && text.trimStart().startsWith('{')) {
    try {
      parsed = obj(JSON.parse(text));
    } catch {
      // not JSON after all: shown as text
    }
  }

  let event: string | undefined;
  let user: string | undefined;
  let ip: string | undefined;
  let outcome: string | undefined;
  if (parsed !== undefined) {
    const roots = [parsed];
    const data = obj(parsed['data']);
    if (data !== undefined) roots.push(data);
    const properties = obj(parsed['properties']);
    if (properties !== undefined) roots.push(properties);
    event = lookup(roots, EVENT_PATHS);
    if (event === undefined) {
      // Entra sign-ins have no event type: the status code is what tells them apart.
      const errorCode = obj(parsed['status'])?.['errorCode'];
      if (typeof errorCode === 'number') event = `signIn.${errorCode}`;
    }
    user = lookup(roots, USER_PATHS);
    ip = lookup(roots, IP_PATHS);
    outcome = outcomeOf(roots, record.format, event);
  } else if (text !== undefined) {
    const ssh = SSHD.exec(text);
    if (ssh !== null) {
      event = 'sshd.' + ssh[2]!;
      user = ssh[3];
      ip = ssh[4];
      outcome = ssh[1] === 'Accepted' ? 'SUCCESS' : 'FAILURE';
    } else {
      const invalid = SSHD_INVALID.exec(text);
      if (invalid !== null) {
        event = 'sshd.invalid_user';
        user = invalid[1];
        ip = invalid[2];
        outcome = 'FAILURE';
      }
    }
  }

  if (event === undefined && user === undefined && ip === undefined && outcome === undefined) {
    return head + SEP + field(compact(payload), FALLBACK_MAX);
  }
  const outcomeText = field(outcome);
  return head + SEP + field(event) + SEP + field(user) + SEP + field(ip) + SEP + paint(outcomeText, outcomeColor(outcomeText), color);
}

/** One human-readable line for any record (see the module comment). */
export function prettyLine(record: unknown, tenant: string, color: boolean): string {
  try {
    if (isOcsfEvent(record)) return ocsfLine(record, tenant, color);
    if (isRawRecord(record)) return rawLine(record, tenant, color);
    return MISSING + SEP + field(tenant) + SEP + '?' + SEP + field(compact(record), FALLBACK_MAX);
  } catch {
    // A getter that throws or a Proxy: still one line, so the count of lines matches the batch.
    return MISSING + SEP + field(tenant) + SEP + '?' + SEP + '[unprintable record]';
  }
}

export function encodePretty(batch: Batch, options: PrettyOptions): string {
  const records = batch.records;
  let out = '';
  for (let i = 0; i < records.length; i++) out += prettyLine(records[i], batch.tenant, options.color) + '\n';
  return out;
}
