// Placeholder: the keycloak.event mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const keycloakEventMapper: FormatMapper = {
  format: 'keycloak.event',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'keycloak.event mapping is not implemented yet');
  },
};
