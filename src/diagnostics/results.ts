/**
 * Results as the KRM functions spec defines them, the project's one diagnostic type. kpt prints
 * these and decides nothing from them (only the exit code counts), so they must carry enough for
 * a user to find the culprit without re-running: resource, field and file.
 *
 * This folder is the bottom layer: every other folder may import it, it imports nothing of ours.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface ResourceRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The fields of an object's apiVersion, kind and metadata that are strings. */
export function resourceRefOf(object: Record<string, unknown>): ResourceRef {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  return {
    ...(typeof object.apiVersion === 'string' ? { apiVersion: object.apiVersion } : {}),
    ...(typeof object.kind === 'string' ? { kind: object.kind } : {}),
    ...(typeof metadata.name === 'string' ? { name: metadata.name } : {}),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
  };
}

export interface ResultField {
  path: string;
  currentValue?: string;
  proposedValue?: string;
}

export interface ResultFile {
  path: string;
  index?: number;
}

/** Where a result points: any of the object, the field in it, the file it came from. */
export interface ResultLocation {
  resourceRef?: ResourceRef;
  field?: ResultField;
  file?: ResultFile;
}

export interface KrmResult extends ResultLocation {
  message: string;
  severity: Severity;
  tags?: Record<string, string>;
}

function result(severity: Severity, message: string, where: ResultLocation): KrmResult {
  // Absent keys stay absent: results are compared and printed as JSON, where `undefined` is noise.
  return {
    severity,
    message,
    ...(where.resourceRef ? { resourceRef: where.resourceRef } : {}),
    ...(where.field ? { field: where.field } : {}),
    ...(where.file ? { file: where.file } : {}),
  };
}

/** Something that stops the run: nothing is written when any result is an error. */
export function errorResult(message: string, where: ResultLocation = {}): KrmResult {
  return result('error', message, where);
}

/** Something the user should act on that does not stop the run. */
export function warningResult(message: string, where: ResultLocation = {}): KrmResult {
  return result('warning', message, where);
}

/** What the run did, e.g. one pin. */
export function infoResult(message: string, where: ResultLocation = {}): KrmResult {
  return result('info', message, where);
}

export function hasErrors(results: readonly KrmResult[]): boolean {
  return results.some((r) => r.severity === 'error');
}

export function errorCount(results: readonly KrmResult[]): number {
  return results.filter((r) => r.severity === 'error').length;
}

/** The KRM contract's exit code: 1 when any result is an error, else 0. */
export function exitCodeOf(results: readonly KrmResult[]): 0 | 1 {
  return hasErrors(results) ? 1 : 0;
}

/** Renders a result the way a person reads it on stderr: `file: Kind/name field: message`. */
export function formatResult(result: KrmResult): string {
  const where: string[] = [];
  if (result.file?.path) where.push(result.file.path);
  if (result.resourceRef?.kind || result.resourceRef?.name) {
    const ns = result.resourceRef.namespace ? `${result.resourceRef.namespace}/` : '';
    where.push(`${result.resourceRef.kind ?? '?'}/${ns}${result.resourceRef.name ?? '?'}`);
  }
  if (result.field?.path) where.push(result.field.path);
  const prefix = where.length > 0 ? `${where.join(' ')}: ` : '';
  return `[${result.severity}] ${prefix}${result.message}`;
}
