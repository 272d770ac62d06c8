/**
 * Webhook bodies in the shapes Okta and Auth0 send (written for these tests, after the vendors'
 * documentation and the samples in ../shared/data/samples; no sample is copied).
 */

/** An Okta System Log LogEvent, as in an event hook's data.events. */
export function oktaLogEvent(i: number, eventType: string, result: 'SUCCESS' | 'FAILURE', reason: string | null = null): Record<string, unknown> {
  return {
    uuid: `6c1f0a4e-95b1-11f0-8d2b-00000000000${i}`,
    published: `2026-03-01T12:00:0${i}.123Z`,
    eventType,
    version: '0',
    severity: result === 'SUCCESS' ? 'INFO' : 'WARN',
    legacyEventType: eventType === 'user.session.start' ? 'core.user_auth.login_failed' : 'core.user.factor.attempt_fail',
    displayMessage: eventType === 'user.session.start' ? 'User login to Okta' : 'Authentication of user via MFA',
    actor: { id: '00u8zq2kfhQwRtY1x5d7', type: 'User', alternateId: 'maria.garcia@example.com', displayName: 'Maria Garcia', detailEntry: null },
    client: {
      userAgent: { rawUserAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', os: 'Linux', browser: 'FIREFOX' },
      zone: 'null',
      device: 'Computer',
      id: null,
      ipAddress: '198.51.100.23',
      geographicalContext: { city: 'Lyon', state: 'Auvergne-Rhone-Alpes', country: 'France', postalCode: '69001', geolocation: { lat: 45.7640, lon: 4.8357 } },
    },
    device: null,
    authenticationContext: { authenticationProvider: null, credentialProvider: null, credentialType: null, issuer: null, interface: null, authenticationStep: 0, externalSessionId: 'idxQ9c2mTq7YlW2m0Zp4bXjHw' },
    outcome: { result, reason },
    securityContext: { asNumber: 64496, asOrg: 'example transit', isp: 'example isp', domain: 'example.net', isProxy: false },
    debugContext: { debugData: { requestId: `aBcD${i}ef-request`, requestUri: '/idp/idx/identify', url: '/idp/idx/identify?' } },
    transaction: { type: 'WEB', id: `aBcD${i}ef-request`, detail: {} },
    request: { ipChain: [{ ip: '198.51.100.23', geographicalContext: { city: 'Lyon', country: 'France' }, version: 'V4', source: null }] },
    target: [{ id: 'pfd3k1q9vGhUjzP5h5d7', type: 'AuthenticatorEnrollment', alternateId: 'unknown', displayName: 'Password', detailEntry: null }],
  };
}

/** An Okta event hook delivery: the CloudEvents-style envelope around data.events. */
export function oktaEventHook(events: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source: 'https://acme.okta.example/api/v1/eventHooks/whoa1b2c3d4E5f6g7h8',
    eventId: 'b5a188b9-5ece-4636-b041-482ffda96311',
    data: { events },
    eventTime: '2026-03-01T12:00:10.000Z',
    contentType: 'application/json',
  };
}

/** An Auth0 log stream (custom webhook) element: `{log_id, data}` with the tenant log inside. */
export function auth0StreamEntry(i: number, type: string, description: string): Record<string, unknown> {
  const logId = `9002026030112000000000000000000000000000000000000000${String(i).padStart(3, '0')}`;
  return {
    log_id: logId,
    data: {
      date: `2026-03-01T12:00:0${i}.456Z`,
      type,
      description,
      connection: 'Username-Password-Authentication',
      connection_id: 'con_Xw3Pq8LmN2vT6yRz',
      client_id: 'Zk8pQ2rT5vX7yB1nM4cF6hJ9kL3sD0aG',
      client_name: 'Acme Portal',
      ip: '203.0.113.77',
      user_agent: 'Chrome 126.0.0 / Mac OS X 14.5.0',
      details: { error: { message: description } },
      user_id: 'auth0|65f0c1d2e3a4b5c6d7e8f901',
      user_name: 'li.wei@example.com',
      strategy: 'auth0',
      strategy_type: 'database',
      hostname: 'acme.eu.auth0.com',
      log_id: logId,
      $event_schema: { version: '1.0.0' },
    },
  };
}
