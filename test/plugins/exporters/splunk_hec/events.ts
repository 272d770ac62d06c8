/** Shared by the splunk_hec tests: the token (which must never show in logs or errors) and numbered events. */
import type { OcsfEvent } from '../../../../core/api.js';
import { authEvent } from '../testrecords.js';

export const TOKEN = 'S3cr3t-7f1c-4a2b-hec-token';

/** The shared Authentication event, `i` ms later, with metadata.uid `uid` (`e<i>` by default). */
export function eventN(i: number, uid = `e${i}`): OcsfEvent {
  return { ...authEvent, time: authEvent.time + i, metadata: { ...authEvent.metadata, uid } };
}
