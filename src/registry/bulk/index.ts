/** Vendor APIs that map a digest to its tags in bulk, behind one interface. */
export { acrTagSource } from './acr.js';
export { DOCKER_HUB_WEB_API_HOST, dockerHubTagSource } from './docker-hub.js';
export { googleTagSource } from './google.js';
export { harborTagSource, isHarbor } from './harbor.js';
export { quayTagSource } from './quay.js';
export { bulkTagSource, bulkTagSourceFor, vendorOfRegistry, type BulkSelectionOptions, type BulkVendor } from './select.js';
export { BulkApiError, type BulkJsonResponse, type BulkTagSource, type JsonGetter } from './types.js';
