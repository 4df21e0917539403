/** The uid/gid kpt and kustomize give container functions (`--user nobody`). */
export const NOBODY = 65534;

/**
 * Environment that makes the CLI (started by `runFn` as root) become `uid` before any of its own
 * code runs. Root ignores permission bits, so a folder or file that is "not writable/readable"
 * only fails for an ordinary account, which is what users and kpt's containers run as.
 */
export function asUser(uid: number): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--import=data:text/javascript,process.setgroups([]);process.setgid(${uid});process.setuid(${uid})` };
}
