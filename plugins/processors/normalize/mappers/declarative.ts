/**
 * Declarative mappings: a JSON source without a built-in mapper is onboarded with configuration
 * only. Records of format `mapping.<name>` are mapped by the definition under the normalize
 * processor's `mappings.<name>` (reference and example: the normalize README).
 *
 * Every rule a definition must follow is in `mappingDefinitionSchema`, so a wrong definition is
 * refused at startup with the key it is at, like any other config error. One consequence shapes
 * the definition: a JSON schema checks one key's value against a list, not two keys against each
 * other, so class and activity are named together (`authentication.logon`) instead of in two keys
 * that could disagree.
 *
 * `createDeclarativeMapper` compiles a definition once: dotted paths become arrays of keys,
 * vendor value tables become Maps, OCSF targets become indexes into a table of setters written
 * at module load. Mapping a record walks those and never looks at the definition again.
 */
import type { JsonSchema } from '../../../../core/api.js';
import type { FormatMapper, JsonObject, MapContext } from '../mapper.js';
import { MappingError, REASON, asObject, stableUid } from '../mapper.js';
import type { IamClassUid, IamEvent, OcsfEndpoint, OcsfUser } from '../ocsf.js';
import { ACTIVITY_NAMES, CLASS, SEVERITY, STATUS, createEvent } from '../ocsf.js';
import { DEFAULT_PATTERN, STRFTIME_PATTERN, TIME_FORMATS, compilePattern, parseTime } from './declarative-time.js';
import type { CompiledPattern, TimeFormat } from './declarative-time.js';

// ---- names ------------------------------------------------------------------------------------

const CLASS_KEYS: Readonly<Record<string, IamClassUid>> = {
  account_change: CLASS.ACCOUNT_CHANGE,
  authentication: CLASS.AUTHENTICATION,
  user_access: CLASS.USER_ACCESS,
  group_management: CLASS.GROUP_MANAGEMENT,
};

function snake(caption: string): string {
  return caption.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** `authentication.logon` -> class and activity, for every activity of the four classes. */
const ACTIVITIES = new Map<string, { readonly classUid: IamClassUid; readonly activityId: number }>();
for (const [key, classUid] of Object.entries(CLASS_KEYS)) {
  for (const [id, caption] of Object.entries(ACTIVITY_NAMES[classUid])) {
    if (id === '0') continue;
    ACTIVITIES.set(`${key}.${snake(caption)}`, { classUid, activityId: Number(id) });
  }
}
export const ACTIVITY_VALUES: readonly string[] = [...ACTIVITIES.keys()];

const STATUS_VALUES = { success: STATUS.SUCCESS, failure: STATUS.FAILURE, unknown: STATUS.UNKNOWN, other: STATUS.OTHER } as const;
const SEVERITY_VALUES = { informational: SEVERITY.INFORMATIONAL, low: SEVERITY.LOW, medium: SEVERITY.MEDIUM, high: SEVERITY.HIGH, critical: SEVERITY.CRITICAL, fatal: SEVERITY.FATAL } as const;
type StatusName = keyof typeof STATUS_VALUES;
type SeverityName = keyof typeof SEVERITY_VALUES;

// ---- OCSF targets of `fields` -------------------------------------------------------------------

type ValueType = 'string' | 'number' | 'boolean';
type Setter = (e: IamEvent, value: string | number | boolean) => void;

function userOf(e: IamEvent): OcsfUser {
  return (e.user ??= {});
}
function actorUser(e: IamEvent): OcsfUser {
  const actor = (e.actor ??= {});
  return (actor.user ??= {});
}
function src(e: IamEvent): OcsfEndpoint {
  return (e.src_endpoint ??= {});
}
function dst(e: IamEvent): OcsfEndpoint {
  return (e.dst_endpoint ??= {});
}
function location(e: IamEvent): NonNullable<OcsfEndpoint['location']> {
  const endpoint = src(e);
  return (endpoint.location ??= {});
}

/** Every OCSF field a definition's `fields` may set, with its type. Module-level: no closures per record. */
const TARGETS: Readonly<Record<string, readonly [ValueType, Setter]>> = {
  'user.name': ['string', (e, v) => { userOf(e).name = v as string; }],
  'user.uid': ['string', (e, v) => { userOf(e).uid = v as string; }],
  'user.email_addr': ['string', (e, v) => { userOf(e).email_addr = v as string; }],
  'user.domain': ['string', (e, v) => { userOf(e).domain = v as string; }],
  'user.full_name': ['string', (e, v) => { userOf(e).full_name = v as string; }],
  'user.risk_score': ['number', (e, v) => { userOf(e).risk_score = v as number; }],
  'actor.user.name': ['string', (e, v) => { actorUser(e).name = v as string; }],
  'actor.user.uid': ['string', (e, v) => { actorUser(e).uid = v as string; }],
  'actor.user.email_addr': ['string', (e, v) => { actorUser(e).email_addr = v as string; }],
  'actor.user.domain': ['string', (e, v) => { actorUser(e).domain = v as string; }],
  'actor.app_name': ['string', (e, v) => { (e.actor ??= {}).app_name = v as string; }],
  'src_endpoint.ip': ['string', (e, v) => { src(e).ip = v as string; }],
  'src_endpoint.port': ['number', (e, v) => { src(e).port = v as number; }],
  'src_endpoint.hostname': ['string', (e, v) => { src(e).hostname = v as string; }],
  'src_endpoint.location.city': ['string', (e, v) => { location(e).city = v as string; }],
  'src_endpoint.location.country': ['string', (e, v) => { location(e).country = v as string; }],
  'src_endpoint.location.region': ['string', (e, v) => { location(e).region = v as string; }],
  'src_endpoint.location.lat': ['number', (e, v) => { location(e).lat = v as number; }],
  'src_endpoint.location.long': ['number', (e, v) => { location(e).long = v as number; }],
  'dst_endpoint.hostname': ['string', (e, v) => { dst(e).hostname = v as string; }],
  'dst_endpoint.ip': ['string', (e, v) => { dst(e).ip = v as string; }],
  'dst_endpoint.port': ['number', (e, v) => { dst(e).port = v as number; }],
  'http_request.user_agent': ['string', (e, v) => { (e.http_request ??= {}).user_agent = v as string; }],
  'service.name': ['string', (e, v) => { (e.service ??= {}).name = v as string; }],
  'service.uid': ['string', (e, v) => { (e.service ??= {}).uid = v as string; }],
  'session.uid': ['string', (e, v) => { (e.session ??= {}).uid = v as string; }],
  'group.name': ['string', (e, v) => { (e.group ??= {}).name = v as string; }],
  'group.uid': ['string', (e, v) => { (e.group ??= {}).uid = v as string; }],
  privileges: ['string', (e, v) => { (e.privileges ??= []).push(v as string); }],
  status_code: ['string', (e, v) => { e.status_code = v as string; }],
  status_detail: ['string', (e, v) => { e.status_detail = v as string; }],
  message: ['string', (e, v) => { e.message = v as string; }],
  is_mfa: ['boolean', (e, v) => { e.is_mfa = v as boolean; }],
  'metadata.correlation_uid': ['string', (e, v) => { e.metadata.correlation_uid = v as string; }],
};
export const FIELD_TARGETS: readonly string[] = Object.keys(TARGETS);

// ---- the definition and its schema ----------------------------------------------------------------

export type SourceValue = string | { const: string | number | boolean };

/**
 * A value chosen per record: `map[record value at field]`, else `default`. Without `field` and
 * `map` it is the constant `default`. (Always an object: a schema can check an object's keys
 * against lists, but not "a string from this list, or an object".)
 */
export interface Selector<T extends string> {
  field?: string;
  map?: Record<string, T>;
  default?: T;
}

export interface MappingDefinition {
  product: { name: string; vendor_name: string };
  activity: Selector<string> & { default: string };
  status?: Selector<StatusName>;
  severity?: Selector<SeverityName>;
  time: { field: string; format: TimeFormat; pattern?: string };
  uid?: string;
  event_code?: string;
  fields?: Record<string, SourceValue>;
  unmapped?: string[];
}

const PATH = '^[^.\\s]+(?:\\.[^.\\s]+)*$';
const path = (description: string): JsonSchema => ({ type: 'string', minLength: 1, pattern: PATH, description });

function selector(values: readonly string[], what: string, defaultMeaning: string): JsonSchema {
  const value = (description: string): JsonSchema => ({ type: 'string', enum: [...values], description });
  return {
    type: 'object',
    description: `The ${what}: map[value of field] when the record has it, else default.`,
    properties: {
      field: path('Dotted path of the record field whose value is looked up in map.'),
      map: { type: 'object', minProperties: 1, additionalProperties: value(`The ${what} for this vendor value.`), description: `Vendor value -> ${what}.` },
      default: value(defaultMeaning),
    },
    dependencies: { field: ['map'], map: ['field'] },
  };
}

const sourceValue: JsonSchema = {
  type: ['string', 'object'],
  minLength: 1,
  pattern: PATH,
  description: 'Dotted path of the record field to copy, or { const: value } for a constant.',
  properties: { const: { type: ['string', 'number', 'boolean'], description: 'A constant value.' } },
  required: ['const'],
};

export const mappingDefinitionSchema: JsonSchema = {
  type: 'object',
  description: 'How records of format mapping.<name> become OCSF events.',
  required: ['product', 'activity', 'time'],
  properties: {
    product: {
      type: 'object',
      required: ['name', 'vendor_name'],
      properties: {
        name: { type: 'string', minLength: 1, description: 'metadata.product.name' },
        vendor_name: { type: 'string', minLength: 1, description: 'metadata.product.vendor_name' },
      },
    },
    activity: { ...selector(ACTIVITY_VALUES, 'class and activity (<class>.<activity>)', 'The class and activity when no field is given or its value is not in map.'), required: ['default'] },
    status: selector(Object.keys(STATUS_VALUES), 'status', 'The status when no field is given or its value is not in map (without it: unknown).'),
    severity: selector(Object.keys(SEVERITY_VALUES), 'severity', 'The severity when no field is given or its value is not in map (without it: low for failures, medium for lockouts, MFA factor removal and privilege grants, else informational).'),
    time: {
      type: 'object',
      required: ['field', 'format'],
      description: 'Where the event time is and how it is written.',
      properties: {
        field: path('Dotted path of the event time.'),
        format: { type: 'string', enum: [...TIME_FORMATS], description: 'iso8601 | epoch_ms | epoch_s | strftime (then pattern).' },
        pattern: { type: 'string', pattern: STRFTIME_PATTERN, description: `For format strftime (default ${JSON.stringify(DEFAULT_PATTERN)}): %Y %m %d %e %H %M %S %f %z %b %%; without %z the time is UTC.` },
      },
      // A pattern only means something for strftime (a conditional the schema can state without `if`).
      dependencies: { pattern: { properties: { format: { const: 'strftime' } } } },
    },
    uid: path('Dotted path of the source event id (metadata.uid); without it a stable hash of the record.'),
    event_code: path('Dotted path of the vendor event type (metadata.event_code); without it the value of activity.field, else the mapping name.'),
    fields: {
      type: 'object',
      description: 'OCSF field -> where its value comes from.',
      properties: Object.fromEntries(FIELD_TARGETS.map((target) => [target, { ...sourceValue, description: `${target} (${TARGETS[target]![0]}): ${sourceValue.description as string}` }])),
    },
    unmapped: {
      type: 'array',
      uniqueItems: true,
      items: path('Dotted path of a record field kept in unmapped under that path.'),
      description: 'Vendor fields kept as they are in unmapped.',
    },
  },
};

// ---- compiling ----------------------------------------------------------------------------------

function splitPath(dotted: string): readonly string[] {
  return dotted.split('.');
}

function get(record: JsonObject, keys: readonly string[]): unknown {
  let value: unknown = record;
  for (let i = 0; i < keys.length; i++) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as JsonObject)[keys[i]!];
  }
  return value;
}

/** A table lookup key for a vendor value: strings as they are, numbers and booleans as text. */
function keyOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

interface CompiledSelector<T> {
  readonly path: readonly string[] | undefined;
  readonly table: ReadonlyMap<string, T>;
  readonly fallback: T;
}

function compileSelector<N extends string, T>(definition: Selector<N> | undefined, resolve: (name: N) => T, fallback: T): CompiledSelector<T> {
  const table = new Map<string, T>();
  for (const [vendor, name] of Object.entries(definition?.map ?? {})) table.set(vendor, resolve(name));
  return {
    path: definition?.field === undefined ? undefined : splitPath(definition.field),
    table,
    fallback: definition?.default === undefined ? fallback : resolve(definition.default),
  };
}

function select<T>(s: CompiledSelector<T>, record: JsonObject): T {
  if (s.path === undefined) return s.fallback;
  const key = keyOf(get(record, s.path));
  return key === undefined ? s.fallback : s.table.get(key) ?? s.fallback;
}

interface FieldOp {
  readonly type: ValueType;
  readonly set: Setter;
  readonly path: readonly string[] | undefined;
  readonly constant: string | number | boolean | undefined;
}

function coerce(value: unknown, type: ValueType): string | number | boolean | undefined {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value === '' ? undefined : value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'boolean') return String(value);
      return undefined;
    case 'number':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      if (typeof value === 'string' && value !== '') {
        const n = Number(value);
        return Number.isFinite(n) ? n : undefined;
      }
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true') return true;
      if (value === 'false') return false;
      return undefined;
  }
}

/** Severity by the MAPPING.md convention when the definition names none. */
function conventionalSeverity(classUid: IamClassUid, activityId: number, statusId: number): number {
  if (statusId === STATUS.FAILURE) return SEVERITY.LOW;
  if ((classUid === CLASS.ACCOUNT_CHANGE && (activityId === 9 || activityId === 11)) || ((classUid === CLASS.USER_ACCESS || classUid === CLASS.GROUP_MANAGEMENT) && activityId === 1)) return SEVERITY.MEDIUM;
  return SEVERITY.INFORMATIONAL;
}

class DeclarativeMapper implements FormatMapper {
  readonly payload = 'json';
  readonly format: string;
  private readonly product: { readonly name: string; readonly vendor_name: string };
  private readonly activity: CompiledSelector<{ readonly classUid: IamClassUid; readonly activityId: number }>;
  private readonly status: CompiledSelector<number>;
  private readonly severity: CompiledSelector<number> | undefined;
  private readonly timePath: readonly string[];
  private readonly timeField: string;
  private readonly timeFormat: TimeFormat;
  private readonly timePattern: string | undefined;
  private readonly compiledPattern: CompiledPattern | undefined;
  private readonly uidPath: readonly string[] | undefined;
  private readonly codePath: readonly string[] | undefined;
  private readonly fields: readonly FieldOp[];
  private readonly unmappedKeys: readonly string[];
  private readonly unmappedPaths: readonly (readonly string[])[];

  constructor(name: string, d: MappingDefinition) {
    this.format = `mapping.${name}`;
    this.product = { name: d.product.name, vendor_name: d.product.vendor_name };
    const activity = (n: string): { classUid: IamClassUid; activityId: number } => {
      const found = ACTIVITIES.get(n);
      // The config schema lists the names; reaching this is a definition that skipped validation.
      if (found === undefined) throw new Error(`mappings.${name}: unknown activity ${JSON.stringify(n)}`);
      return found;
    };
    this.activity = compileSelector(d.activity, activity, activity(d.activity.default));
    this.status = compileSelector<StatusName, number>(d.status, (n) => STATUS_VALUES[n], STATUS.UNKNOWN);
    this.severity = d.severity === undefined ? undefined : compileSelector<SeverityName, number>(d.severity, (n) => SEVERITY_VALUES[n], SEVERITY.INFORMATIONAL);
    this.timeField = d.time.field;
    this.timePath = splitPath(d.time.field);
    this.timeFormat = d.time.format;
    this.timePattern = d.time.format === 'strftime' ? d.time.pattern ?? DEFAULT_PATTERN : undefined;
    this.compiledPattern = this.timePattern === undefined ? undefined : compilePattern(this.timePattern);
    this.uidPath = d.uid === undefined ? undefined : splitPath(d.uid);
    this.codePath = d.event_code !== undefined ? splitPath(d.event_code) : d.activity.field !== undefined ? splitPath(d.activity.field) : undefined;
    const fields: FieldOp[] = [];
    for (const [target, source] of Object.entries(d.fields ?? {})) {
      const entry = TARGETS[target];
      if (entry === undefined) throw new Error(`mappings.${name}.fields: unknown OCSF field ${JSON.stringify(target)}`);
      const constant = typeof source === 'string' ? undefined : coerce(source.const, entry[0]);
      fields.push({ type: entry[0], set: entry[1], path: typeof source === 'string' ? splitPath(source) : undefined, constant });
    }
    this.fields = fields;
    this.unmappedKeys = d.unmapped ?? [];
    this.unmappedPaths = this.unmappedKeys.map(splitPath);
  }

  map(value: unknown, ctx: MapContext): IamEvent {
    const record = asObject(value);
    const rawTime = get(record, this.timePath);
    if (rawTime === undefined || rawTime === null || rawTime === '') throw new MappingError(REASON.MISSING_TIME, `${this.timeField} is missing`);
    const time = parseTime(rawTime, this.timeFormat, this.timeField, this.compiledPattern, this.timePattern);
    const { classUid, activityId } = select(this.activity, record);
    const statusId = select(this.status, record);
    const uid = this.uidPath === undefined ? undefined : keyOf(get(record, this.uidPath));
    const code = this.codePath === undefined ? undefined : keyOf(get(record, this.codePath));
    const e = createEvent({
      classUid,
      activityId,
      time,
      statusId,
      severityId: this.severity === undefined ? conventionalSeverity(classUid, activityId, statusId) : select(this.severity, record),
      product: this.product,
      uid: uid !== undefined && uid !== '' ? uid : stableUid(this.format, JSON.stringify(record)),
      eventCode: code !== undefined && code !== '' ? code : this.format,
      originalTime: typeof rawTime === 'string' ? rawTime : String(rawTime),
      format: this.format,
      tenant: ctx.tenant,
      observedTime: ctx.observedTime,
    });
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const op = fields[i]!;
      const v = op.path === undefined ? op.constant : coerce(get(record, op.path), op.type);
      if (v !== undefined) op.set(e, v);
    }
    const paths = this.unmappedPaths;
    for (let i = 0; i < paths.length; i++) {
      const v = get(record, paths[i]!);
      if (v !== undefined && v !== null) (e.unmapped ??= {})[this.unmappedKeys[i]!] = v;
    }
    return e;
  }
}

/** Builds the mapper of `mapping.<name>` from a definition that passed `mappingDefinitionSchema`. */
export function createDeclarativeMapper(name: string, definition: MappingDefinition): FormatMapper {
  return new DeclarativeMapper(name, definition);
}
