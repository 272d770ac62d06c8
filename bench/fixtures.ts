/**
 * Fixtures the exporter benchmarks share, so that their numbers are measured on the same events.
 */
import type { OcsfEvent } from '../core/api.js';

/** The event time of the first fixture event, epoch ms; event i is T0 + i. */
export const T0 = 1714591201123;

/** Shaped like the normalizer's output (every field present, absent ones undefined). */
export function normalizedEvents(size: number): OcsfEvent[] {
  const events: OcsfEvent[] = [];
  for (let i = 0; i < size; i++) {
    events.push({
      class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management',
      activity_id: 1, activity_name: 'Logon', type_uid: 300201, type_name: 'Authentication: Logon',
      severity_id: 2, severity: 'Low', time: T0 + i, status_id: 2, status: 'Failure', status_code: 'VERIFICATION_TIMEOUT', status_detail: 'push_timeout',
      message: 'Authentication of user via MFA',
      metadata: { version: '1.8.0', product: { name: 'Okta', vendor_name: 'Okta' }, uid: `b1b2b3b6-a9c3-11ef-9a41-${String(i).padStart(12, '0')}`, event_code: 'user.authentication.auth_via_mfa',
        tenant_uid: 'bench', original_time: '2024-11-23T19:20:00.123Z', log_name: 'okta', correlation_uid: 'Z0Jq3X8kP2vR7tYw1nB5cAAABc4', logged_time: T0 + i + 40 },
      actor: undefined,
      user: { name: `user${i % 97}@example.com`, uid: '00u8f3k2jdLq1ZxYb697', full_name: 'Maria Garcia' },
      src_endpoint: { ip: `198.51.100.${i % 250}`, location: { city: 'Austin', country: 'United States', region: 'Texas', postal_code: '78701', lat: 30.2672, long: -97.7431 },
        domain: 'example.net', isp: 'example broadband', autonomous_system: { number: 64512, name: 'example broadband' } },
      dst_endpoint: undefined,
      http_request: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' },
      session: { uid: '102Xq8aB3cD4eF5gH6iJ7kL8m' },
      auth_factors: [{ factor_type: 'Push Notification', factor_type_id: 5, provider: 'Okta Verify' }],
      is_mfa: true,
      unmapped: undefined,
    });
  }
  return events;
}
