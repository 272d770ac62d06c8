import type { FormatName } from '../model.js';
import { auth0 } from './auth0.js';
import type { FormatSpec } from './common.js';
import { entraAudit, entraSignIn } from './entra.js';
import { keycloakAdminEvent, keycloakEvent } from './keycloak.js';
import { linuxAuth } from './linux.js';
import { mfaApi } from './mfa-api.js';
import { okta } from './okta.js';
import { windowsSecurity } from './windows.js';

export const FORMAT_SPECS: Readonly<Record<FormatName, FormatSpec>> = {
  'keycloak.event': keycloakEvent,
  'keycloak.admin_event': keycloakAdminEvent,
  mfa_api: mfaApi,
  okta,
  'entra.signin': entraSignIn,
  'entra.audit': entraAudit,
  auth0,
  'linux.auth': linuxAuth,
  'windows.security': windowsSecurity,
};
