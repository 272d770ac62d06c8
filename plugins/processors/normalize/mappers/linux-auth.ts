// Placeholder: the linux.auth mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const linuxAuthMapper: FormatMapper = {
  format: 'linux.auth',
  payload: 'text',
  map() {
    throw new MappingError('not_implemented', 'linux.auth mapping is not implemented yet');
  },
};
