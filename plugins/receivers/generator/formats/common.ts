import type { Directory } from '../directory.js';
import type { Act, Action, FormatName } from '../model.js';
import type { Prng } from '../prng.js';

/** What a renderer may use besides the act: the organisation and the per-record random stream. */
export interface RenderContext {
  readonly dir: Directory;
  readonly r: Prng;
}

/** Turns one act into the vendor's payload text (JSON text, or a syslog line). */
export type Renderer = (act: Act, time: number, ctx: RenderContext) => string;

export interface FormatSpec {
  readonly name: FormatName;
  /** The acts this vendor logs; scenarios and noise only ask a format for these. */
  readonly supports: readonly Action[];
  readonly render: Renderer;
}

export function iso(time: number): string {
  return new Date(time).toISOString();
}

/** ISO 8601 without fractional seconds, as Microsoft Graph writes its DateTimeOffset values. */
export function isoSeconds(time: number): string {
  const s = new Date(time).toISOString();
  return `${s.slice(0, 19)}Z`;
}

export function unsupported(format: string, action: number): never {
  throw new Error(`generator: format ${format} cannot render action ${action}`);
}
