import { copyFileSync, cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies the built CLI aside before measuring. Other work in the same checkout may rebuild dist/
 * during a run; a snapshot keeps every sample measuring one build. It stays under node_modules so
 * the CLI still resolves its dependencies from the project's node_modules.
 */
export function snapshotBuild(root: string): string {
  const built = join(root, 'dist', 'main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` (npm run bench does it first)`);
  const home = join(root, 'node_modules', '.cache', 'apply-image-policies', 'bench-build');
  rmSync(home, { recursive: true, force: true });
  cpSync(join(root, 'dist'), join(home, 'dist'), { recursive: true });
  // `--version` reads ../package.json relative to main.js.
  copyFileSync(join(root, 'package.json'), join(home, 'package.json'));
  return join(home, 'dist', 'main.js');
}
