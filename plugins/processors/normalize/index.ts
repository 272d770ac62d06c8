export { normalizeFactory } from './factory.js';
