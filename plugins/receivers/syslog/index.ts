export { syslogReceiverFactory } from './factory.js';
