export { detectFactory } from './factory.js';
