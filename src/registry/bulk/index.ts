/** Vendor APIs that map a digest to its tags in bulk, behind one interface. */
export { acrPushTime, acrTagSource } from './acr.js';
export { dockerHubPushTime, dockerHubTagSource } from './docker-hub.js';
export { ecrPushTime, ecrRegistryOf, ecrTagSource, type EcrOptions } from './ecr.js';
export { ghcrPushTime, ghcrTagSource, type GhcrOptions } from './ghcr.js';
export { gitlabPushTime, gitlabTagSource, isGitLabRegistry } from './gitlab.js';
export { googlePushTime, googleTagSource } from './google.js';
export { harborPushTime, harborTagSource, isHarbor } from './harbor.js';
export { epochMsTime, epochSecondsTime, PushTimes, rfc3339Time, type PushTimeSink } from './push-times.js';
export { quayPushTime, quayTagSource } from './quay.js';
export { bulkTagSourceFor, vendorOfRegistry, type BulkSelectionOptions } from './select.js';
export { BulkApiError, BulkUnavailableError, type BulkTagSource, type JsonGetter } from './types.js';
