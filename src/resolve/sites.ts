import type { ResourceRef, ResultField, ResultLocation } from '../diagnostics/results.js';

/** A field to be written from a policy: a `$imagepolicy` marker or an `images:` rule match. */
export interface PolicySite {
  policy: { namespace: string; name: string };
  suffix?: 'tag' | 'name' | 'digest';
  current: string;
  /** The repository spelling to write instead of the policy's `spec.image` (images rules keep the field's own). */
  image?: string;
  where: SiteLocation;
}

export interface SiteLocation {
  resourceRef?: ResourceRef;
  fieldPath: string;
  file?: { path: string; index?: number };
  /** How the site was declared, e.g. the marker comment; quoted in errors. */
  declaredBy: string;
}

/** Where a site's results point: its object, its field (with the values, for a pin) and its file. */
export function siteLocationOf(site: PolicySite, values?: Omit<ResultField, 'path'>): ResultLocation {
  return {
    ...(site.where.resourceRef ? { resourceRef: site.where.resourceRef } : {}),
    field: { path: site.where.fieldPath, ...values },
    ...(site.where.file ? { file: site.where.file } : {}),
  };
}
