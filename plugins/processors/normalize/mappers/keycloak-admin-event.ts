// Placeholder: the keycloak.admin_event mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const keycloakAdminEventMapper: FormatMapper = {
  format: 'keycloak.admin_event',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'keycloak.admin_event mapping is not implemented yet');
  },
};
