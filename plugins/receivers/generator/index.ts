export { generatorFactory } from './factory.js';
