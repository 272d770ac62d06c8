/**
 * Windows result codes in words, for status_detail. NTSTATUS codes (4625 Status / SubStatus, 4776)
 * and Kerberos error codes (4768, 4769, 4771, RFC 4120) are keyed by their canonical text:
 * `0x` then upper-case hex digits without leading zeros removed (`0xC000006A`, `0x18`).
 * The wording is authwire's normalized reason, shared with the other formats where they overlap
 * (`bad password`, `unknown user`, `account locked out`).
 */
export const NTSTATUS_DETAIL: ReadonlyMap<string, string> = new Map([
  ['0xC000006D', 'bad user name or password'],
  ['0xC000006A', 'bad password'],
  ['0xC0000064', 'unknown user'],
  ['0xC0000234', 'account locked out'],
  ['0xC0000072', 'account disabled'],
  ['0xC000006F', 'logon outside allowed hours'],
  ['0xC0000070', 'workstation not allowed'],
  ['0xC0000071', 'password expired'],
  ['0xC0000193', 'account expired'],
  ['0xC0000224', 'password must change'],
  ['0xC0000225', 'internal error'],
  ['0xC000015B', 'logon type not granted'],
  ['0xC000005E', 'no logon servers available'],
  ['0xC0000133', 'clock skew'],
  ['0xC000018C', 'trust relationship failed'],
  ['0xC0000192', 'netlogon service not started'],
  ['0xC0000413', 'authentication firewall'],
  ['0xC0000371', 'local account store has no secret'],
  ['0xC000006E', 'account restriction'],
]);

export const KERBEROS_DETAIL: ReadonlyMap<string, string> = new Map([
  ['0x6', 'unknown user'],
  ['0x7', 'unknown service'],
  ['0xC', 'policy rejects the request'],
  ['0xE', 'encryption type not supported'],
  ['0x12', 'account disabled, expired or locked out'],
  ['0x17', 'password expired'],
  ['0x18', 'bad password'],
  ['0x1B', 'server requires user-to-user'],
  ['0x1F', 'integrity check failed'],
  ['0x20', 'ticket expired'],
  ['0x25', 'clock skew'],
]);

/**
 * `0xc000006a` -> `0xC000006A`; `0x0` stays `0x0`. Undefined for anything that is not hex.
 * Allocation only when the text is not canonical already.
 */
export function canonicalHex(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 3 || value.charCodeAt(0) !== 48 || (value.charCodeAt(1) | 32) !== 120) return undefined;
  const digits = value.slice(2);
  if (!/^[0-9A-Fa-f]+$/.test(digits)) return undefined;
  const upper = digits.toUpperCase();
  return value.charCodeAt(1) === 120 && upper === digits ? value : '0x' + upper;
}
