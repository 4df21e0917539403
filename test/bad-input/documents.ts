/**
 * Documents for the bad-input catalogue, each carrying kpt's path annotation so a KRM error can
 * name the file exactly as a file-mode error does. The registry host is one where nothing
 * listens: every catalogue case must be caught before any registry is asked, and one that is not
 * shows up as a connection error instead of the expected message.
 */
export const NOWHERE = '127.0.0.1:9';

export interface PackageDocument {
  /** The file it lives in (file mode) or its `config.kubernetes.io/path` (KRM mode). */
  path: string;
  yaml: string;
}

function metadata(name: string, path: string, namespace?: string): string {
  return `metadata:
  name: ${name}${namespace ? `\n  namespace: ${namespace}` : ''}
  annotations:
    config.kubernetes.io/path: '${path}'
    internal.config.kubernetes.io/path: '${path}'`;
}

export function repository(path: string, image = `${NOWHERE}/team/app`, name = 'app'): PackageDocument {
  return {
    path,
    yaml: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
${metadata(name, path, 'flux-system')}
spec:
  image: ${image}
  interval: 5m
`,
  };
}

/** `spec` is the ImagePolicy spec body below `imageRepositoryRef`, indented by two spaces. */
export function policy(path: string, spec = '  policy:\n    semver:\n      range: 1.x\n', repositoryName = 'app'): PackageDocument {
  return {
    path,
    yaml: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
${metadata('app', path, 'flux-system')}
spec:
  imageRepositoryRef:
    name: ${repositoryName}
${spec}`,
  };
}

/** A Deployment whose first container's image carries `marker` as its line comment. */
export function workload(path: string, marker = '# {"$imagepolicy": "flux-system:app"}'): PackageDocument {
  return {
    path,
    yaml: `apiVersion: apps/v1
kind: Deployment
${metadata('web', path, 'prod')}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${NOWHERE}/team/app:1.0.0 ${marker}
`,
  };
}
