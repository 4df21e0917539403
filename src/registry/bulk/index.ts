/** Vendor APIs that map a digest to its tags in bulk, behind one interface. */
export { acrPushTime, acrTagSource } from './acr.js';
export { dockerHubPushTime, dockerHubTagSource } from './docker-hub.js';
export { googlePushTime, googleTagSource } from './google.js';
export { harborPushTime, harborTagSource, isHarbor } from './harbor.js';
export { epochMsTime, epochSecondsTime, PushTimes, rfc3339Time, type PushTimeSink } from './push-times.js';
export { quayPushTime, quayTagSource } from './quay.js';
export { bulkTagSourceFor, vendorOfRegistry, type BulkSelectionOptions } from './select.js';
export type { BulkTagSource, JsonGetter } from './types.js';
