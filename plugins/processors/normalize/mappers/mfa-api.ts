// Placeholder: the mfa_api mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const mfaApiMapper: FormatMapper = {
  format: 'mfa_api',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'mfa_api mapping is not implemented yet');
  },
};
