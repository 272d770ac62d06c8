export { keycloakReceiverFactory } from './factory.js';
