import type { Consumer, CreateSettings, ReceiverFactory } from '../../../core/api.js';
import { configSchema, createDefaultConfig } from './config.js';
import type { FileReceiverConfig } from './config.js';
import { FileReceiver } from './file.js';

export const fileReceiverFactory: ReceiverFactory<FileReceiverConfig> = {
  kind: 'receiver',
  type: 'file',
  stability: 'alpha',
  description: 'Tails text files by glob (auth.log and the like): follows rename and copytruncate rotation, keeps a durable offset checkpoint per file fingerprint.',
  configSchema,
  createDefaultConfig,
  create(settings: CreateSettings, config: FileReceiverConfig, next: Consumer): FileReceiver {
    return new FileReceiver(settings, config, next);
  },
};
