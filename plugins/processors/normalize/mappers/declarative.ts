// Placeholder until the declarative mapper lands: the schema of one mapping definition and the
// function that builds a FormatMapper from it.
import type { JsonSchema } from '../../../../core/api.js';
import type { FormatMapper } from '../mapper.js';
import { MappingError } from '../mapper.js';

export const mappingDefinitionSchema: JsonSchema = { type: 'object', properties: {} };

export type MappingDefinition = Record<string, unknown>;

export function createDeclarativeMapper(name: string, _definition: MappingDefinition): FormatMapper {
  return {
    format: `mapping.${name}`,
    payload: 'json',
    map() {
      throw new MappingError('not_implemented', 'declarative mappings are not implemented yet');
    },
  };
}
