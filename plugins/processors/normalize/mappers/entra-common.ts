/**
 * What the two Microsoft Entra ID formats (`entra.signin`, `entra.audit`) share: the two shapes a
 * record arrives in (the Microsoft Graph resource, or the Azure Monitor diagnostic-settings record
 * that wraps it in `properties`), Azure's time spellings, and Graph's JSON-in-a-string values.
 */
import type { JsonObject } from '../mapper.js';
import { MappingError, REASON, isoTime, obj, str } from '../mapper.js';

export const ENTRA_PRODUCT = { name: 'Microsoft Entra ID', vendor_name: 'Microsoft' } as const;

/**
 * The Graph resource inside a record: `properties` of an Azure Monitor diagnostic record
 * (`{time, category, operationName, resultType, callerIpAddress, properties: {...}}`), else the
 * record itself (Graph `signIn` / `directoryAudit`).
 */
export function graphBody(record: JsonObject): JsonObject | undefined {
  const properties = obj(record, 'properties');
  if (properties === undefined) return undefined;
  return typeof record['category'] === 'string' || typeof record['operationName'] === 'string' || typeof record['resourceId'] === 'string' ? properties : undefined;
}

// Azure Monitor also writes US-style times: "12/12/2025 3:03:58 PM", "3/5/2024 13:03:58 +01:00".
const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*([AaPp][Mm]))?(?:\s*(Z|[+-]\d{2}:?\d{2}))?$/;

/** Epoch ms from an ISO 8601 time or Azure's US-style M/D/YYYY time (UTC unless it has an offset). */
export function entraTime(text: string, field: string): number {
  if (text.charCodeAt(1) !== 47 && text.charCodeAt(2) !== 47) return isoTime(text, field); // no '/': ISO
  const m = US_TIME.exec(text);
  if (m === null) throw new MappingError(REASON.INVALID_TIME, `${field} is not an ISO 8601 or M/D/YYYY time: ${JSON.stringify(text.slice(0, 64))}`);
  let hour = Number(m[4]);
  const meridiem = m[8]?.toUpperCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) throw new MappingError(REASON.INVALID_TIME, `${field} has hour ${hour} with ${meridiem}: ${JSON.stringify(text)}`);
    hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
  }
  const month = Number(m[1]);
  const day = Number(m[2]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let time = Date.UTC(Number(m[3]), month - 1, day, hour, Number(m[5]), Number(m[6] ?? 0), ms);
  const date = new Date(time);
  if (month < 1 || month > 12 || date.getUTCDate() !== day || hour > 23 || Number(m[5]) > 59) {
    throw new MappingError(REASON.INVALID_TIME, `${field} is not a valid date: ${JSON.stringify(text)}`);
  }
  const zone = m[9];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.replace(':', '');
    time -= sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
  }
  return time;
}

/** The event time from the first of `keys` present on `body`, else `fallbackKey` on `record`. */
export function requiredEntraTime(body: JsonObject, key: string, record: JsonObject, fallbackKey: string): { time: number; original: string } {
  let field = key;
  let raw = body[key];
  if (raw === undefined || raw === null || raw === '') {
    field = fallbackKey;
    raw = record[fallbackKey];
  }
  if (raw === undefined || raw === null || raw === '') throw new MappingError(REASON.MISSING_TIME, `${key} is missing`);
  if (typeof raw !== 'string') throw new MappingError(REASON.INVALID_TIME, `${field} is ${typeof raw}, not a time string`);
  return { time: entraTime(raw, field), original: raw };
}

/**
 * A Graph `modifiedProperties` value, which is JSON text: `"\"Sales\""` or `"[\"Sales\"]"` -> Sales.
 * Anything else (several values, escapes) is returned as written.
 */
export function modifiedValue(text: string | undefined): string | undefined {
  if (text === undefined || text.indexOf('\\') >= 0) return text;
  let inner = text;
  if (inner.length >= 2 && inner.charCodeAt(0) === 91 /* [ */ && inner.charCodeAt(inner.length - 1) === 93 /* ] */) inner = inner.slice(1, -1);
  if (inner.length >= 2 && inner.charCodeAt(0) === 34 && inner.charCodeAt(inner.length - 1) === 34 && inner.indexOf('"', 1) === inner.length - 1) return inner.slice(1, -1);
  return inner === '' ? undefined : inner;
}

/** Graph writes absent strings as null, "" or, in some diagnostic records, "null". */
export function entraStr(object: JsonObject | undefined, key: string): string | undefined {
  const v = str(object, key);
  return v === 'null' ? undefined : v;
}
