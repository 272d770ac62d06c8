// Placeholder until worker-thread partitions land: partitions run inline.
import { inlinePartitions } from './detect.js';
import type { PartitionFactory } from './detect.js';

export const workerPartitions: PartitionFactory = inlinePartitions;
