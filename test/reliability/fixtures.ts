/**
 * One small package, written both ways a user feeds it to us: a ResourceList for kpt (KRM mode)
 * and a folder of files for pre-commit (file mode). Each marks one image field of a Deployment
 * with the policy `flux-system:app` (semver 1.x) over `<host>/team/app`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fluxPolicy, fluxRepository, resourceList } from '../e2e/run-fn.js';

export const POLICY_RANGE = '1.x';

export function deploymentYaml(host: string, current = '1.0.0'): string {
  return `# The web tier; the marker below is Flux's.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${host}/team/app:${current} # {"$imagepolicy": "flux-system:app"}
          args: ['--port',   "8080"]   # odd spacing that must survive
`;
}

export function policyYaml(host: string, policyExtra = ''): string {
  return `${fluxRepository('app', `${host}/team/app`)}---
${fluxPolicy('app', 'app', `semver:\n  range: ${POLICY_RANGE}`, policyExtra)}`;
}

export function krmInput(host: string, functionConfig?: string, repositorySpec = ''): string {
  return resourceList(
    [fluxRepository('app', `${host}/team/app`, repositorySpec), fluxPolicy('app', 'app', `semver:\n  range: ${POLICY_RANGE}`), deploymentYaml(host)],
    functionConfig,
  );
}

/** Writes `apps/web.yaml` and `flux/policy.yaml` under `dir`; returns `dir`. */
export function writePackage(dir: string, host: string): string {
  mkdirSync(join(dir, 'apps'), { recursive: true });
  mkdirSync(join(dir, 'flux'), { recursive: true });
  writeFileSync(join(dir, 'apps', 'web.yaml'), deploymentYaml(host));
  writeFileSync(join(dir, 'flux', 'policy.yaml'), policyYaml(host));
  return dir;
}

/** The value the marked field should hold after a successful run. */
export function pinned(host: string, tag: string, digest: string): string {
  return `image: ${host}/team/app:${tag}@${digest} # {"$imagepolicy": "flux-system:app"}`;
}
