// Placeholder: the okta mapper is being written.
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const oktaMapper: FormatMapper = {
  format: 'okta',
  payload: 'json',
  map() {
    throw new MappingError('not_implemented', 'okta mapping is not implemented yet');
  },
};
