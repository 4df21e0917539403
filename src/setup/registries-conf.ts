/**
 * Mirrors from containers' registries.conf (v2), the file podman, buildah and skopeo users already
 * keep: `[[registry]]` with `location` (and optional `prefix`), its `[[registry.mirror]]` entries
 * and their `insecure`. The first file found is read, as podman reads it: `$CONTAINERS_REGISTRIES_CONF`,
 * then the user's `$XDG_CONFIG_HOME/containers/registries.conf`, then `/etc/containers/registries.conf`.
 * Drop-in directories (`registries.conf.d`) and wildcard prefixes are not read.
 *
 * TOML is parsed only when a file exists. The parser is imported statically all the same: it is
 * small, the build bundles it, and assembling a run's registry stays synchronous.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { canonicalLocation, type MirrorRoute } from '../registry/index.js';

export interface RegistriesConf {
  path?: string;
  mirrors: MirrorRoute[];
  /** Mirror hosts marked `insecure = true`. */
  insecure: string[];
  /** Why the file was not used, when it could not be read or parsed. */
  problem?: string;
}

export function registriesConfPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CONTAINERS_REGISTRIES_CONF) return env.CONTAINERS_REGISTRIES_CONF;
  const user = join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers', 'registries.conf');
  if (existsSync(user)) return user;
  return existsSync('/etc/containers/registries.conf') ? '/etc/containers/registries.conf' : undefined;
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const hostOf = (location: string) => location.split('/')[0]!;

/** The mirror routes a parsed registries.conf declares (pure: tested with tables). */
export function mirrorsOfConf(parsed: unknown, path: string): Omit<RegistriesConf, 'path' | 'problem'> {
  const mirrors: MirrorRoute[] = [];
  const insecure: string[] = [];
  const registries = isTable(parsed) && Array.isArray(parsed.registry) ? parsed.registry : [];
  registries.forEach((entry: unknown, index: number) => {
    if (!isTable(entry)) return;
    const location = typeof entry.location === 'string' ? entry.location : undefined;
    const prefix = typeof entry.prefix === 'string' ? entry.prefix : location;
    if (!prefix || prefix.includes('*') || !Array.isArray(entry.mirror)) return;
    const digestOnly = entry['mirror-by-digest-only'] === true;
    for (const mirror of entry.mirror as unknown[]) {
      if (!isTable(mirror) || typeof mirror.location !== 'string' || mirror.location === '') continue;
      const pull = mirror['pull-from-mirror'];
      mirrors.push({
        source: canonicalLocation(prefix),
        target: canonicalLocation(mirror.location),
        origin: `${path} [[registry]] #${index + 1} (${prefix})`,
        ...(digestOnly || pull === 'digest-only' ? { digestOnly: true } : {}),
      });
      if (mirror.insecure === true) insecure.push(hostOf(canonicalLocation(mirror.location)));
    }
  });
  return { mirrors, insecure };
}

export function readRegistriesConf(env: NodeJS.ProcessEnv): RegistriesConf {
  const path = registriesConfPath(env);
  if (path === undefined) return { mirrors: [], insecure: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { path, mirrors: [], insecure: [], problem: `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); its mirrors are not used` };
  }
  return parseRegistriesConf(text, path);
}

/** A line that says nothing to TOML: blank, or a comment. */
const SILENT_LINE = /^[ \t]*(?:#.*)?\r?$/;

/** The mirrors of a registries.conf's text; a file that is not TOML is a problem, not an error. */
export function parseRegistriesConf(text: string, path: string): RegistriesConf {
  // Distributions ship the file as ~80 lines of comments (Debian's skopeo does), read by every run;
  // the TOML parser's first run over them costs a couple of milliseconds to say nothing.
  if (text.split('\n').every((line) => SILENT_LINE.test(line))) return { path, mirrors: [], insecure: [] };
  try {
    return { path, ...mirrorsOfConf(parse(text), path) };
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    return { path, mirrors: [], insecure: [], problem: `${path} is not valid TOML${where}; its mirrors are not used` };
  }
}
