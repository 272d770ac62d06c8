import type { FormatMapper } from '../mapper.js';
import { auth0Mapper } from './auth0.js';
import { entraAuditMapper } from './entra-audit.js';
import { entraSignInMapper } from './entra-signin.js';
import { keycloakAdminEventMapper } from './keycloak-admin-event.js';
import { keycloakEventMapper } from './keycloak-event.js';
import { linuxAuthMapper } from './linux-auth.js';
import { mfaApiMapper } from './mfa-api.js';
import { oktaMapper } from './okta.js';
import { windowsSecurityMapper } from './windows-security.js';

/** The built-in format mappers. Each lives in its own module beside this one. */
export const builtinMappers: readonly FormatMapper[] = [
  keycloakEventMapper,
  keycloakAdminEventMapper,
  mfaApiMapper,
  oktaMapper,
  entraSignInMapper,
  entraAuditMapper,
  auth0Mapper,
  linuxAuthMapper,
  windowsSecurityMapper,
];

export function builtinMapperTable(): Map<string, FormatMapper> {
  return new Map(builtinMappers.map((mapper) => [mapper.format, mapper]));
}
