/**
 * The load the generator sends: RFC 5424 syslog lines (LF-framed) whose MSG is a Keycloak user
 * event (`EventRepresentation`, as Keycloak's syslog event listeners write it), one failed login
 * per line.
 *
 * Two fields carry what the sink checks, and both survive into the CEF message unchanged on either
 * path (authwire: normalizer → OCSF → cef exporter; rsyslog: mmjsonparse → CEF template):
 *
 * - `id` = `<tag>-<seq>` → OCSF `metadata.uid` → CEF `externalId`: which run, which event
 *   (exactly-once accounting);
 * - `time` = the send time in epoch milliseconds → OCSF `time` → CEF `rt`: latency = receipt time
 *   at the sink − `rt`, with millisecond resolution on both ends.
 *
 * The rest varies over a fixed pool (users, source addresses, error codes) so that the detector
 * sees realistic keys, and holds no character that CEF must escape (the rsyslog template escapes
 * only `\` and `=`, see rsyslog.ts).
 */

/** How many distinct (user, address, error) combinations the lines cycle through. */
export const POOL_SIZE = 4096;
export const USERS = 1000;
export const ADDRESSES = 509;
export const REALM_ID = 'b2f1c7de-4a0e-4c55-9a3e-7d2c1f0e8a61';
/** authpriv.info: what Keycloak's syslog handler is usually configured with. */
const PRI = '<86>';

/** The run tag in `id`: `r` and digits (so the sink can tell runs apart). */
export function isRunTag(tag: string): boolean {
  return /^r[0-9]{1,9}$/.test(tag);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Everything after `"time":<ms>` for combination `k`, built once. */
function tail(k: number): string {
  const user = k % USERS;
  const address = (k * 13) % ADDRESSES;
  const error = k % 5 === 0 ? 'user_not_found' : 'invalid_user_credentials';
  const username = `user${String(user).padStart(5, '0')}`;
  return (
    `,"type":"LOGIN_ERROR","realmId":"${REALM_ID}","clientId":"grafana",` +
    `"userId":"3d9c6f2a-1b7e-4f0a-9c55-${hex(user, 12)}","sessionId":null,` +
    `"ipAddress":"198.51.${(address >> 8) & 255}.${address & 255}","error":"${error}",` +
    `"details":{"auth_method":"openid-connect","auth_type":"code",` +
    `"redirect_uri":"https://grafana.acme.example/login/generic_oauth",` +
    `"code_id":"f0c2a9d4-7e61-4b3a-8d25-${hex(k, 12)}","username":"${username}"}}\n`
  );
}

/** Builds lines fast: constant parts are precomputed, a line is a handful of concatenations. */
export class EventLines {
  private readonly tails: string[] = [];
  private readonly idPrefix: string;

  constructor(tag: string) {
    if (!isRunTag(tag)) throw new Error(`run tag must be r<digits>, got ${JSON.stringify(tag)}`);
    this.idPrefix = ` kc-01 keycloak - - - {"id":"${tag}-`;
    for (let k = 0; k < POOL_SIZE; k++) this.tails.push(tail(k));
  }

  /**
   * Lines `from` .. `from + count - 1`, all stamped with `nowMs` (the syslog TIMESTAMP and the
   * event's `time`), as one string ready to write.
   */
  chunk(from: number, count: number, nowMs: number): string {
    const head = `${PRI}1 ${new Date(nowMs).toISOString()}${this.idPrefix}`;
    const time = `","time":${nowMs}`;
    let out = '';
    const end = from + count;
    for (let seq = from; seq < end; seq++) out += head + seq + time + this.tails[seq % POOL_SIZE]!;
    return out;
  }
}
