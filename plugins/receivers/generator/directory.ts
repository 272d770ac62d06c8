import { deriveSeed, Prng } from './prng.js';
import type { Agent, Group, Location, Role, User } from './model.js';

/**
 * The simulated organisation: its people, groups, roles, hosts and the attackers' infrastructure.
 * Built once at create time from the seed, so every format reports the same people with the same
 * ids (each in its vendor's id style).
 */

const FIRST = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj',
  'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'wendy', 'aisha', 'bruno', 'chen',
  'dmitri', 'elena', 'farah', 'gustavo', 'hana', 'igor', 'jamal', 'kenji', 'lucia', 'mateo', 'nadia',
  'oscar', 'priya', 'quinn', 'rosa', 'sanjay', 'tomas', 'ursula', 'vera', 'yusuf', 'zoe',
] as const;
const LAST = [
  'smith', 'jones', 'garcia', 'miller', 'davis', 'martin', 'lopez', 'wilson', 'anderson', 'thomas',
  'moore', 'jackson', 'white', 'harris', 'clark', 'lewis', 'walker', 'hall', 'young', 'king', 'wright',
  'scott', 'green', 'baker', 'adams', 'nelson', 'hill', 'campbell', 'mitchell', 'roberts', 'carter',
  'phillips', 'evans', 'turner', 'torres', 'parker', 'collins', 'edwards', 'stewart', 'morris', 'nguyen',
  'murphy', 'rivera', 'cook', 'rogers', 'morgan', 'peterson', 'cooper', 'reed', 'bailey', 'kim', 'patel',
] as const;

/** Where the organisation's people usually are. */
export const HOME_LOCATIONS: readonly Location[] = [
  { city: 'Seattle', state: 'Washington', countryCode: 'US', country: 'United States', postalCode: '98101', lat: 47.6062, lon: -122.3321 },
  { city: 'Austin', state: 'Texas', countryCode: 'US', country: 'United States', postalCode: '78701', lat: 30.2672, lon: -97.7431 },
  { city: 'New York', state: 'New York', countryCode: 'US', country: 'United States', postalCode: '10001', lat: 40.7128, lon: -74.006 },
  { city: 'London', state: 'England', countryCode: 'GB', country: 'United Kingdom', postalCode: 'EC1A', lat: 51.5072, lon: -0.1276 },
  { city: 'Dublin', state: 'Leinster', countryCode: 'IE', country: 'Ireland', postalCode: 'D02', lat: 53.3498, lon: -6.2603 },
  { city: 'Berlin', state: 'Berlin', countryCode: 'DE', country: 'Germany', postalCode: '10115', lat: 52.52, lon: 13.405 },
];

/** Where attack traffic comes from (hosting providers, residential proxies abroad). */
export const ATTACK_LOCATIONS: readonly Location[] = [
  { city: 'Sao Paulo', state: 'Sao Paulo', countryCode: 'BR', country: 'Brazil', postalCode: '01000', lat: -23.5505, lon: -46.6333 },
  { city: 'Bucharest', state: 'Bucuresti', countryCode: 'RO', country: 'Romania', postalCode: '010011', lat: 44.4268, lon: 26.1025 },
  { city: 'Hanoi', state: 'Hanoi', countryCode: 'VN', country: 'Vietnam', postalCode: '100000', lat: 21.0278, lon: 105.8342 },
  { city: 'Jakarta', state: 'Jakarta', countryCode: 'ID', country: 'Indonesia', postalCode: '10110', lat: -6.2088, lon: 106.8456 },
  { city: 'Amsterdam', state: 'North Holland', countryCode: 'NL', country: 'Netherlands', postalCode: '1012', lat: 52.3676, lon: 4.9041 },
  { city: 'Lagos', state: 'Lagos', countryCode: 'NG', country: 'Nigeria', postalCode: '100001', lat: 6.5244, lon: 3.3792 },
  { city: 'Singapore', state: 'Singapore', countryCode: 'SG', country: 'Singapore', postalCode: '018956', lat: 1.3521, lon: 103.8198 },
];

export const USER_AGENTS: readonly Agent[] = [
  { raw: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', os: 'Windows 10', browser: 'CHROME', entraOs: 'Windows10', entraBrowser: 'Chrome 124.0.0', device: 'Computer', script: false },
  { raw: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80', os: 'Windows 10', browser: 'EDGE_CHROMIUM', entraOs: 'Windows10', entraBrowser: 'Edge 124.0.2478', device: 'Computer', script: false },
  { raw: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', os: 'Mac OS X', browser: 'SAFARI', entraOs: 'MacOs', entraBrowser: 'Safari 17.4.1', device: 'Computer', script: false },
  { raw: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0', os: 'Mac OS X', browser: 'FIREFOX', entraOs: 'MacOs', entraBrowser: 'Firefox 125.0', device: 'Computer', script: false },
  { raw: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', os: 'iOS', browser: 'SAFARI', entraOs: 'Ios', entraBrowser: 'Mobile Safari 17.4', device: 'Mobile', script: false },
  { raw: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', os: 'Linux', browser: 'CHROME', entraOs: 'Linux', entraBrowser: 'Chrome 124.0.0', device: 'Computer', script: false },
];

export const ATTACK_AGENTS: readonly Agent[] = [
  { raw: 'python-requests/2.31.0', os: 'Unknown', browser: 'UNKNOWN', entraOs: '', entraBrowser: 'Python Requests 2.31', device: 'Unknown', script: true },
  { raw: 'curl/8.4.0', os: 'Unknown', browser: 'UNKNOWN', entraOs: '', entraBrowser: 'Curl 8.4.0', device: 'Unknown', script: true },
  { raw: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.51 Safari/537.36', os: 'Windows 10', browser: 'CHROME', entraOs: 'Windows10', entraBrowser: 'Chrome 99.0.4844', device: 'Computer', script: false },
  { raw: 'Go-http-client/1.1', os: 'Unknown', browser: 'UNKNOWN', entraOs: '', entraBrowser: 'Go Http Client 1.1', device: 'Unknown', script: true },
];

export const ROLES: readonly Role[] = [
  { name: 'realm-admin', kcId: '', entraTemplateId: '62e90394-69f5-4237-9190-012177145e10', entraName: 'Global Administrator', oktaType: 'SUPER_ADMIN' },
  { name: 'user-admin', kcId: '', entraTemplateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', entraName: 'User Administrator', oktaType: 'USER_ADMIN' },
  { name: 'helpdesk', kcId: '', entraTemplateId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', entraName: 'Helpdesk Administrator', oktaType: 'HELP_DESK_ADMIN' },
];

const GROUP_SPECS = [
  { name: 'engineering', linux: 'developers', rid: 1201, winEvent: 4728, privileged: false },
  { name: 'finance', linux: 'finance', rid: 1202, winEvent: 4728, privileged: false },
  { name: 'sales', linux: 'sales', rid: 1203, winEvent: 4728, privileged: false },
  { name: 'vpn-users', linux: 'vpn', rid: 1204, winEvent: 4756, privileged: false },
  { name: 'Domain Admins', linux: 'sudo', rid: 512, winEvent: 4728, privileged: true },
  { name: 'Administrators', linux: 'wheel', rid: -544, winEvent: 4732, privileged: true },
] as const;

export const LINUX_HOSTS = ['bastion-1', 'bastion-2', 'web-01', 'web-02', 'db-01', 'build-03'] as const;
export const WINDOWS_SERVERS = ['FS01', 'APP02', 'SQL01'] as const;

export interface Directory {
  readonly domain: string;
  /** NetBIOS domain name, e.g. EXAMPLE. */
  readonly netbios: string;
  /** DNS name of the AD domain, e.g. corp.example.com. */
  readonly adDomain: string;
  readonly dc: string;
  readonly domainSid: string;
  readonly realm: string;
  readonly realmId: string;
  readonly oktaOrg: string;
  readonly auth0Tenant: string;
  readonly entraTenantId: string;
  readonly users: readonly User[];
  readonly admins: readonly User[];
  readonly groups: readonly Group[];
  readonly roles: readonly Role[];
  /** Attacker source addresses (documentation ranges only). */
  readonly attackIps: readonly string[];
}

export const USER_COUNT = 200;

export function buildDirectory(seed: number, domain: string): Directory {
  const r = new Prng(deriveSeed(seed, 0x5eed));
  const base = domain.split('.')[0] ?? 'example';
  const netbios = base.toUpperCase().slice(0, 15);
  const adDomain = `corp.${domain}`;
  const domainSid = `S-1-5-21-${r.range(1_000_000_000, 4_000_000_000)}-${r.range(1_000_000_000, 4_000_000_000)}-${r.range(1_000_000_000, 4_000_000_000)}`;
  const users: User[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < USER_COUNT; i++) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    let login = `${first}.${last}`;
    let sam = `${first[0]}${last}`;
    for (let n = 2; taken.has(login) || taken.has(sam); n++) {
      login = `${first}.${last}${n}`;
      sam = `${first[0]}${last}${n}`;
    }
    taken.add(login);
    taken.add(sam);
    const home = r.pick(HOME_LOCATIONS);
    // A third of people work from the office (shared NAT egress), the rest from home.
    const homeIp = r.chance(0.33) ? `198.51.100.${10 + r.int(6)}` : `198.51.100.${64 + r.int(190)}`;
    users.push({
      index: i,
      exists: true,
      first,
      last,
      displayName: `${cap(first)} ${cap(last)}`,
      login,
      sam,
      email: `${login}@${domain}`,
      kcId: r.uuid(),
      oktaId: `00u${r.base62(17)}`,
      auth0Id: `auth0|${r.hex(24)}`,
      entraId: r.uuid(),
      sid: `${domainSid}-${1105 + i}`,
      uid: 1001 + i,
      home,
      homeIp,
      lanIp: `10.20.${1 + (i >> 6)}.${10 + (i & 63)}`,
      workstation: `WS-${String(1000 + i)}`,
      agent: r.pick(USER_AGENTS),
      deviceId: r.uuid(),
      mfaMethod: r.pick(['push', 'push', 'TOTP', 'hardware_token', 'FIDO2'] as const),
      admin: i < 4,
    });
  }
  const groups: Group[] = GROUP_SPECS.map((g) => ({
    name: g.name,
    kcId: r.uuid(),
    oktaId: `00g${r.base62(17)}`,
    entraId: r.uuid(),
    sid: g.rid < 0 ? `S-1-5-32-${-g.rid}` : `${domainSid}-${g.rid}`,
    winEvent: g.winEvent,
    linux: g.linux,
    privileged: g.privileged,
  }));
  const roles: Role[] = ROLES.map((role) => ({ ...role, kcId: r.uuid() }));
  const attackIps: string[] = [];
  for (let i = 0; i < 48; i++) attackIps.push(i % 2 === 0 ? `203.0.113.${1 + r.int(254)}` : `192.0.2.${1 + r.int(254)}`);
  return {
    domain,
    netbios,
    adDomain,
    dc: `DC01.${adDomain}`,
    domainSid,
    realm: base,
    realmId: r.uuid(),
    oktaOrg: `${base}.okta.com`,
    auth0Tenant: `${base}.us.auth0.com`,
    entraTenantId: r.uuid(),
    users,
    admins: users.slice(0, 4),
    groups,
    roles,
    attackIps,
  };
}

/** An account that is not in the directory: only its name, and what the caller knows, are set. */
function outsideAccount(name: string, known: Pick<User, 'email' | 'sid' | 'uid' | 'home' | 'agent'>): User {
  return {
    index: -1,
    exists: false,
    first: name,
    last: '',
    displayName: name,
    login: name,
    sam: name,
    email: known.email,
    kcId: '',
    oktaId: '',
    auth0Id: '',
    entraId: '',
    sid: known.sid,
    uid: known.uid,
    home: known.home,
    homeIp: '',
    lanIp: '',
    workstation: '',
    agent: known.agent,
    deviceId: '',
    mfaMethod: 'push',
    admin: false,
  };
}

/** A username an attacker tried that belongs to nobody (stuffing lists, sprays). */
export function ghostUser(r: Prng, dir: Directory, agent: Agent): User {
  const guesses = ['admin', 'administrator', 'test', 'oracle', 'support', 'info', 'jenkins', 'backup', 'guest', 'sales', 'postgres', 'ubuntu'];
  const name = r.chance(0.5) ? r.pick(guesses) : `${r.pick(FIRST)}${r.range(1, 99)}`;
  return outsideAccount(name, { email: `${name}@${dir.domain}`, sid: 'S-1-0-0', uid: 0, home: ATTACK_LOCATIONS[0]!, agent });
}

/** A local account someone creates on a host outside the IAM process. */
export function rogueUser(r: Prng, dir: Directory): User {
  const name = r.pick(['backdoor', 'svc-backup2', 'sysadm', 'support01', 'maint', 'temp-admin', 'dbsync']);
  const uid = 1500 + r.int(400);
  const sid = `${dir.domainSid}-${2400 + r.int(500)}`;
  return outsideAccount(name, { email: '', sid, uid, home: HOME_LOCATIONS[0]!, agent: USER_AGENTS[0]! });
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
