// Placeholder: the entra.signin mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const entraSignInMapper: FormatMapper = {
  format: 'entra.signin',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'entra.signin mapping is not implemented yet');
  },
};
