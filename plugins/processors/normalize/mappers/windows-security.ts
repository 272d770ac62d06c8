// Placeholder: the windows.security mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const windowsSecurityMapper: FormatMapper = {
  format: 'windows.security',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'windows.security mapping is not implemented yet');
  },
};
