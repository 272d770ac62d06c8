// Placeholder: the entra.audit mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const entraAuditMapper: FormatMapper = {
  format: 'entra.audit',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'entra.audit mapping is not implemented yet');
  },
};
