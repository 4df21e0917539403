/** Vendor APIs that map a digest to its tags in bulk, behind one interface. */
export { acrTagSource } from './acr.js';
export { dockerHubTagSource } from './docker-hub.js';
export { googleTagSource } from './google.js';
export { harborTagSource, isHarbor } from './harbor.js';
export { quayTagSource } from './quay.js';
export { bulkTagSourceFor, vendorOfRegistry, type BulkSelectionOptions } from './select.js';
export type { BulkTagSource, JsonGetter } from './types.js';
