import { formatFieldPath } from '../diagnostics/field-path.js';
import { warningResult, type KrmResult, type ResourceRef } from '../diagnostics/results.js';
import { scanMarkers, type MarkedField } from '../markers/find.js';
import { writeScalar } from '../markers/write.js';
import type { SiteUpdate } from './resolve.js';
import type { PolicySite, SiteLocation } from './sites.js';

/** A site together with the scalar that holds its value, so an update can be written back. */
export interface WritableSite {
  site: PolicySite;
  field: MarkedField;
}

export interface NodeContext {
  resourceRef?: ResourceRef;
  file?: { path: string; index?: number };
}

/**
 * Every `$imagepolicy` marker below a node (a ResourceList item or a file's document), plus a
 * warning for each comment that mentions `$imagepolicy` but that Flux would ignore (a marker
 * above a key, broken JSON): silently skipping it would leave the user believing the field is
 * managed.
 */
export function scanMarkerSites(node: unknown, context: NodeContext): { sites: WritableSite[]; warnings: KrmResult[] } {
  const scan = scanMarkers(node);
  const warnings: KrmResult[] = scan.problems.map((problem) =>
    warningResult(`ignored ${commentText(problem.comment)}: ${problem.problem}`, { ...context, field: { path: formatFieldPath(problem.path) } }),
  );
  return { sites: scan.fields.map((field) => toWritableSite(field, context)), warnings };
}

function toWritableSite(field: MarkedField, context: NodeContext): WritableSite {
  return {
    field,
    site: {
      policy: { namespace: field.ref.namespace, name: field.ref.name },
      ...(field.ref.suffix ? { suffix: field.ref.suffix } : {}),
      current: field.value,
      where: siteLocation(context, field.path, `marker ${commentText(field.ref.raw)}`),
    },
  };
}

/** Where a site is, for its results: the object, the field, the file, and what declared it. */
export function siteLocation(context: NodeContext, path: readonly (string | number)[], declaredBy: string): SiteLocation {
  return {
    ...(context.resourceRef ? { resourceRef: context.resourceRef } : {}),
    fieldPath: formatFieldPath(path),
    ...(context.file ? { file: context.file } : {}),
    declaredBy,
  };
}

/** A comment as quoted in messages: without its `#`s and surrounding blanks. */
function commentText(comment: string): string {
  return comment.replace(/^#+\s*/, '').trim();
}

/** Writes resolved values into the CST (and the AST, which prints flow-style input). */
export function applyUpdates(writable: readonly WritableSite[], updates: readonly SiteUpdate[]): void {
  const fieldOf = new Map(writable.map((w) => [w.site, w.field]));
  for (const update of updates) {
    const field = fieldOf.get(update.site);
    if (!field) throw new Error(`internal: no field for ${update.site.where.fieldPath}`);
    writeScalar(field, update.value);
  }
}
