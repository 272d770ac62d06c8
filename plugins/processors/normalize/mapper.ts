/**
 * The mapper contract: one module per vendor format turns one parsed record into one IamEvent,
 * or throws a MappingError naming why it cannot (the record is then dead-lettered with that
 * reason). The normalize processor does the JSON parsing, so every mapper gets a value, and
 * malformed JSON is reported in one place.
 */
import { hash } from 'node:crypto';
import type { IamEvent } from './ocsf.js';

export interface MapContext {
  readonly tenant: string;
  /** When authwire received the record, epoch ms. */
  readonly observedTime: number;
  /** The format name the record came with (`keycloak.event`, `mapping.acme`, ...). */
  readonly format: string;
}

export interface FormatMapper {
  /** The format name it maps (`okta`, `linux.auth`, `mapping.<name>`). */
  readonly format: string;
  /** `json`: the payload is JSON (text, bytes or an already-parsed value); `text`: one text line. */
  readonly payload: 'json' | 'text';
  /** Maps one record; throws MappingError when it cannot. */
  map(value: unknown, context: MapContext): IamEvent;
}

/** Why a record cannot be mapped; `reason` is the stable code it is dead-lettered and counted under. */
export class MappingError extends Error {
  readonly reason: string;
  constructor(reason: string, detail: string) {
    super(detail);
    this.name = 'MappingError';
    this.reason = reason;
  }
}

/** Reasons shared by every mapper (a mapper may add its own, lower_snake_case). */
export const REASON = {
  MALFORMED_JSON: 'malformed_json',
  NOT_AN_OBJECT: 'not_an_object',
  NOT_TEXT: 'not_text',
  UNKNOWN_FORMAT: 'unknown_format',
  MISSING_TIME: 'missing_time',
  INVALID_TIME: 'invalid_time',
  MISSING_FIELD: 'missing_field',
  INVALID_FIELD: 'invalid_field',
  UNRECOGNIZED_LINE: 'unrecognized_line',
} as const;

export type JsonObject = Record<string, unknown>;

/** The value as an object, or a MappingError. */
export function asObject(value: unknown, what = 'record'): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MappingError(REASON.NOT_AN_OBJECT, `${what} is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, not a JSON object`);
  }
  return value as JsonObject;
}

/**
 * A value as a string, or undefined when absent, null, empty or of another type. Hot-path mappers
 * read the field themselves (`strOf(record['type'])`) so that each read site keeps its own inline
 * cache; a helper doing `object[key]` for every key and shape goes megamorphic.
 */
export function strOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A value as a finite number, or undefined (see `strOf` for why it takes the value). */
export function numOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A string property, or undefined when absent, null, empty or not a string. */
export function str(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string or number property as a string (ids that some sources write as numbers). */
export function text(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(object: JsonObject | undefined, key: string): number | undefined {
  const value = object?.[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function obj(object: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = object?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function arr(object: JsonObject | undefined, key: string): unknown[] | undefined {
  const value = object?.[key];
  return Array.isArray(value) ? value : undefined;
}

/** A required string; MappingError `missing_field` when absent. */
export function required(object: JsonObject, key: string, what = key): string {
  const value = text(object, key);
  if (value === undefined) throw new MappingError(REASON.MISSING_FIELD, `${what} is missing`);
  return value;
}

/**
 * Epoch ms from an ISO 8601 / RFC 3339 timestamp. A timestamp without a zone is taken as UTC
 * (what the vendors here mean). MappingError `invalid_time` when it does not parse.
 */
export function isoTime(value: string, field: string): number {
  const hasZone = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = Date.parse(hasZone ? value : value + 'Z');
  if (!Number.isFinite(ms)) throw new MappingError(REASON.INVALID_TIME, `${field} is not an ISO 8601 time: ${JSON.stringify(value.slice(0, 64))}`);
  return ms;
}

/** The event time from a required field holding an ISO string; MappingError `missing_time`/`invalid_time`. */
export function requiredIsoTime(object: JsonObject, key: string): { time: number; original: string } {
  const value = object[key];
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_TIME, `${key} is missing`);
  if (typeof value !== 'string') throw new MappingError(REASON.INVALID_TIME, `${key} is ${typeof value}, not an ISO 8601 string`);
  return { time: isoTime(value, key), original: value };
}

/** Epoch ms from a required field holding epoch milliseconds (number or numeric string). */
export function requiredEpochMs(object: JsonObject, key: string): { time: number; original: string } {
  const value = object[key];
  if (value === undefined || value === null || value === '') throw new MappingError(REASON.MISSING_TIME, `${key} is missing`);
  const ms = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new MappingError(REASON.INVALID_TIME, `${key} is not epoch milliseconds: ${JSON.stringify(value)}`);
  return { time: ms, original: String(value) };
}

/**
 * A stable id for a record whose source gives none: the same record always gets the same id, so
 * duplicates from overlapping polls or replays are recognisable downstream.
 */
export function stableUid(format: string, content: string): string {
  // One-shot hash(): no Hash object per record (a measurable share of mapping records without ids).
  return hash('sha256', `${format}\u0000${content}`, 'hex').slice(0, 32);
}
