export { formatMarkerRef, inspectMarkerComment, MARKER_KEY, parseMarkerComment } from './marker.js';
export type { MarkerInspection, MarkerRef, MarkerSuffix } from './marker.js';
export { parseYamlStream } from './yaml-stream.js';
export type { YamlProblem, YamlStream } from './yaml-stream.js';
export { findMarkedFields, scanMarkers } from './find.js';
export type { MarkedField, MarkerProblem, MarkerScan } from './find.js';
export { doubleQuoted, markerValue, needsQuoting, writeScalar } from './write.js';
