// Placeholder: the auth0 mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const auth0Mapper: FormatMapper = {
  format: 'auth0',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'auth0 mapping is not implemented yet');
  },
};
