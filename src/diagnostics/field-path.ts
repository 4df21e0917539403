/**
 * kpt and kustomize print field paths as `spec.template.spec.containers[0].image`;
 * keys that are not plain identifiers are bracket-quoted so the path stays unambiguous.
 */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
