/**
 * One registry per test file, registered as vitest hooks: the setup most integration tests repeat
 * (a temp dir, a real registry, a counting proxy in front of it, an optional token server) and the
 * teardown that must never be forgotten on a two-core machine.
 *
 * Kept apart from `registry.ts` because it imports vitest, and the benchmarks import the harness.
 *
 * ```ts
 * describe.skipIf(!registryAvailable())('…', () => {
 *   const fx = useRegistryFixture({ tempDir: 'aip-feature-', proxy: { paginate: true } });
 *   beforeAll(async () => { await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'] }); });
 *   it('…', () => { … `${fx.proxy.host}/team/app` … });
 * });
 * ```
 * Call it inside the `describe` so a skipped describe starts nothing. Hooks the file registers
 * afterwards run after the fixture's `beforeAll` (seeding works) and before its `afterAll`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  startProxy,
  startRegistry,
  startTokenServer,
  type ProxyHooks,
  type RunningProxy,
  type RunningRegistry,
  type RunningTokenServer,
  type StartRegistryOptions,
  type TokenServerOptions,
} from './registry.js';

export interface RegistryFixtureOptions {
  /** Prefix of a fresh temp dir (a HOME, a cache, a work tree), removed after the file. */
  tempDir?: string;
  registry?: StartRegistryOptions;
  /** Start a token server first and make the registry demand its bearer tokens. */
  tokenServer?: TokenServerOptions;
  /**
   * Put a proxy in front of the registry. A function receives the registry, for hooks that need
   * its address (e.g. a delayed forward of their own).
   */
  proxy?: boolean | ProxyHooks | ((registry: RunningRegistry) => ProxyHooks);
}

/** Getters valid from the fixture's `beforeAll` on; reading a part that was not asked for throws. */
export interface RegistryFixture {
  readonly registry: RunningRegistry;
  readonly proxy: RunningProxy;
  readonly tokenServer: RunningTokenServer;
  readonly tempDir: string;
}

export function useRegistryFixture(options: RegistryFixtureOptions = {}): RegistryFixture {
  let registry: RunningRegistry | undefined;
  let proxy: RunningProxy | undefined;
  let tokenServer: RunningTokenServer | undefined;
  let tempDir: string | undefined;

  beforeAll(async () => {
    if (options.tempDir) tempDir = await mkdtemp(join(tmpdir(), options.tempDir));
    if (options.tokenServer) tokenServer = await startTokenServer(options.tokenServer);
    registry = await startRegistry(
      tokenServer ? { ...options.registry, token: tokenServer.registryAuth, authorize: tokenServer.authorize } : options.registry,
    );
    if (options.proxy) {
      const hooks = options.proxy === true ? {} : typeof options.proxy === 'function' ? options.proxy(registry) : options.proxy;
      proxy = await startProxy(registry, hooks);
    }
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await tokenServer?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  const started = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) {
      throw new Error(`registry fixture: no ${name} (not requested in useRegistryFixture options, or read before beforeAll ran)`);
    }
    return part;
  };
  return {
    get registry() {
      return started(registry, 'registry');
    },
    get proxy() {
      return started(proxy, 'proxy');
    },
    get tokenServer() {
      return started(tokenServer, 'tokenServer');
    },
    get tempDir() {
      return started(tempDir, 'tempDir');
    },
  };
}
