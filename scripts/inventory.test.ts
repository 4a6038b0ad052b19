import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AGENT_PORT_MIN,
  InventoryError,
  PLATFORM_PORTS,
  REGISTRY_FILE,
  REPO_ROOT,
  discoverAgents,
  factoryExportName,
  markdownTable,
  parseManifest,
  portProblems,
  readCommittedRegistry,
  renderPortRegistry,
  runInventory,
  type AgentManifest,
} from './inventory.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A throwaway repository with the given agent package.json files (`agents/<dir>/package.json`). */
function fakeRepo(packages: Record<string, unknown>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'inventory-'));
  roots.push(root);
  for (const [dir, pkg] of Object.entries(packages)) {
    mkdirSync(path.join(root, 'agents', dir), { recursive: true });
    writeFileSync(path.join(root, 'agents', dir, 'package.json'), JSON.stringify(pkg));
  }
  return root;
}

function agentPkg(agent: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `@sutazai/${agent}`,
    sutazai: { agent, port, capability: 'plan', main: 'src/main.ts', ...extra },
  };
}

function manifest(agent: string, port: number): AgentManifest {
  return {
    dir: agent,
    packageName: `@sutazai/${agent}`,
    agent,
    port,
    capability: 'x',
    main: 'src/main.ts',
    entry: 'src/index.ts',
    factory: factoryExportName(agent),
  };
}

const quiet = { log: (): void => undefined, error: (): void => undefined };

describe('parseManifest', () => {
  it('reads the sutazai field, with the conventional factory name and the package entry', () => {
    const m = parseManifest('planner', { ...agentPkg('planner', 11002), exports: { '.': './src/index.ts' } });
    expect(m).toEqual({
      dir: 'planner',
      packageName: '@sutazai/planner',
      agent: 'planner',
      port: 11002,
      capability: 'plan',
      main: 'src/main.ts',
      entry: 'src/index.ts',
      factory: 'buildPlanner',
    });
    expect(parseManifest('x', agentPkg('x', 11009, { factory: 'makeIt' }))?.factory).toBe('makeIt');
  });

  it('skips packages that are not agents', () => {
    expect(parseManifest('common', { name: '@sutazai/agent-kit' })).toBeUndefined();
  });

  it('names the file and field of a malformed manifest', () => {
    expect(() => parseManifest('bad', agentPkg('Bad Name', 11000))).toThrow(
      /agents\/bad\/package.json: sutazai.agent/,
    );
    expect(() => parseManifest('bad', agentPkg('bad', 11000.5))).toThrow(/sutazai.port must be an integer/);
    expect(() => parseManifest('bad', agentPkg('bad', 11000, { main: 'main.js' }))).toThrow(/sutazai.main/);
    expect(() => parseManifest('bad', agentPkg('bad', 11000, { factory: 'not-an-identifier' }))).toThrow(
      /sutazai.factory/,
    );
    expect(() => parseManifest('bad', { name: 'x', sutazai: 'planner' })).toThrow(InventoryError);
  });
});

describe('factoryExportName', () => {
  it('is build + the agent name in PascalCase', () => {
    expect(factoryExportName('planner')).toBe('buildPlanner');
    expect(factoryExportName('code-reviewer')).toBe('buildCodeReviewer');
  });
});

describe('portProblems', () => {
  it('accepts distinct agent ports from 11000 up', () => {
    expect(portProblems([manifest('a', AGENT_PORT_MIN), manifest('b', 11001)])).toEqual([]);
  });

  it('rejects duplicate ports, platform ports, ports below 11000 or above 65535, and duplicate names', () => {
    const problems = portProblems([
      manifest('a', 11001),
      manifest('b', 11001),
      manifest('c', 10999),
      manifest('d', 10010),
      manifest('e', 70000),
      { ...manifest('a', 11005), dir: 'a2' },
    ]);
    expect(problems).toEqual([
      'agent b (agents/b): port 11001 is already taken by agent a',
      'agent c (agents/c): port 10999 is outside 11000-65535',
      'agent d (agents/d): port 10010 is outside 11000-65535',
      'agent d (agents/d): port 10010 is already taken by Backend Mesh (backend)',
      'agent e (agents/e): port 70000 is outside 11000-65535',
      'agent name a is declared by agents/a and agents/a2',
    ]);
  });
});

describe('discoverAgents', () => {
  it('finds agent folders by their sutazai field, sorted by port', () => {
    const root = fakeRepo({
      common: { name: '@sutazai/agent-kit' },
      verifier: agentPkg('verifier', 11004),
      retriever: agentPkg('retriever', 11001),
    });
    mkdirSync(path.join(root, 'agents', 'no-package'));
    expect(discoverAgents(root).map((a) => [a.agent, a.port])).toEqual([
      ['retriever', 11001],
      ['verifier', 11004],
    ]);
  });

  it('fails on duplicate ports and on ports outside the agent range', () => {
    expect(() => discoverAgents(fakeRepo({ a: agentPkg('a', 11001), b: agentPkg('b', 11001) }))).toThrow(
      /port 11001 is already taken by agent a/,
    );
    expect(() => discoverAgents(fakeRepo({ a: agentPkg('a', 9000) }))).toThrow(
      /port 9000 is outside 11000-65535/,
    );
  });

  it('names a package.json that is not JSON', () => {
    const root = fakeRepo({});
    mkdirSync(path.join(root, 'agents', 'broken'), { recursive: true });
    writeFileSync(path.join(root, 'agents', 'broken', 'package.json'), '{"name":');
    expect(() => discoverAgents(root)).toThrow(/agents\/broken\/package.json/);
  });

  it('finds the agents of this repository, the planner among them', () => {
    const agents = discoverAgents();
    expect(agents.find((a) => a.agent === 'planner')).toMatchObject({
      port: 11002,
      capability: 'plan',
      dir: 'planner',
    });
  });
});

describe('renderPortRegistry', () => {
  const rendered = renderPortRegistry([manifest('verifier', 11004), manifest('retriever', 11001)]);

  it('says it is generated and how to regenerate it', () => {
    expect(rendered.split('\n')[0]).toMatch(/Generated by `npm run inventory`.*Do not edit/);
  });

  it('lists agents by port with capability, package and main, and every platform port', () => {
    expect(rendered).toContain(
      '| agent     | port  | capability | package              | main                           |',
    );
    expect(rendered.indexOf('| retriever | 11001 |')).toBeGreaterThan(0);
    expect(rendered.indexOf('| retriever | 11001 |')).toBeLessThan(rendered.indexOf('| verifier  | 11004 |'));
    expect(rendered).toContain('`@sutazai/retriever`');
    expect(rendered).toContain('`agents/retriever/src/main.ts`');
    for (const p of PLATFORM_PORTS)
      expect(rendered).toMatch(new RegExp(`\\| ${p.service.replace(/[()]/g, '\\$&')} +\\| ${p.port} \\|`));
    expect(PLATFORM_PORTS.map((p) => p.port)).toEqual([
      10000, 10001, 10010, 10011, 10101, 10102, 10104, 10200, 10201,
    ]);
  });

  it('is already formatted the way prettier --check wants it', async () => {
    const options = (await prettier.resolveConfig(path.join(REPO_ROOT, REGISTRY_FILE))) ?? {};
    expect(await prettier.format(rendered, { ...options, parser: 'markdown' })).toBe(rendered);
  });

  it('pads tables to the widest cell', () => {
    expect(markdownTable(['a', 'bb'], [['long cell', 'x']])).toBe(
      ['| a         | bb  |', '| --------- | --- |', '| long cell | x   |'].join('\n'),
    );
  });
});

describe('the committed registry', () => {
  it(`${REGISTRY_FILE} is up to date (run npm run inventory)`, () => {
    expect(readCommittedRegistry()).toBe(renderPortRegistry(discoverAgents()));
  });
});

describe('runInventory', () => {
  it('writes the registry, then --check passes until a manifest changes', async () => {
    const root = fakeRepo({ planner: agentPkg('planner', 11002) });
    expect(await runInventory(['--check'], root, quiet)).toBe(1);
    expect(await runInventory([], root, quiet)).toBe(0);
    expect(readFileSync(path.join(root, REGISTRY_FILE), 'utf8')).toContain('| planner | 11002 |');
    expect(await runInventory(['--check'], root, quiet)).toBe(0);
    writeFileSync(
      path.join(root, 'agents', 'planner', 'package.json'),
      JSON.stringify(agentPkg('planner', 11005)),
    );
    const errors: string[] = [];
    expect(
      await runInventory(['--check'], root, { log: () => undefined, error: (m) => errors.push(m) }),
    ).toBe(1);
    expect(errors.join('\n')).toMatch(/stale; run `npm run inventory`/);
    expect(readFileSync(path.join(root, REGISTRY_FILE), 'utf8')).toContain('| planner | 11002 |');
  });

  it('exits 1 without writing when the ports are invalid', async () => {
    const root = fakeRepo({ a: agentPkg('a', 11001), b: agentPkg('b', 11001) });
    const errors: string[] = [];
    expect(await runInventory([], root, { log: () => undefined, error: (m) => errors.push(m) })).toBe(1);
    expect(errors.join('\n')).toMatch(/already taken/);
    expect(readCommittedRegistry(root)).toBeUndefined();
  });
});
