/**
 * Results as the KRM functions spec defines them. kpt prints these and decides
 * nothing from them (only the exit code counts), so they must carry enough for a
 * user to find the culprit without re-running: resource, field and file.
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

export interface KrmResult {
  message: string;
  severity: Severity;
  resourceRef?: ResourceRef;
  field?: { path: string; currentValue?: string; proposedValue?: string };
  file?: { path: string; index?: number };
  tags?: Record<string, string>;
}

export function hasErrors(results: readonly KrmResult[]): boolean {
  return results.some((r) => r.severity === 'error');
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
