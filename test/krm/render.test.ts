import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseResourceList } from '../../src/krm/resource-list.js';
import type { KrmResult } from '../../src/diagnostics/results.js';

const ours: KrmResult[] = [{ severity: 'info', message: 'a → b', field: { path: 'data.image' } }];

describe('rendering the ResourceList', () => {
  it('prints the input unchanged when there is nothing to report', () => {
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: ConfigMap # keep\n  apiVersion: v1\n';
    expect(parseResourceList(input).render([])).toBe(input);
  });

  it('prints a list that ends with `...` unchanged when there is nothing to report', () => {
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  - kind: ConfigMap # keep\n    apiVersion: v1\n    data: {a: b}\n...\n';
    expect(parseResourceList(input).render([])).toBe(input);
  });

  it('appends results after the items and keeps results an earlier function reported', () => {
    const input = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}} # flow item
results:
- message: from an earlier function
  severity: warning
functionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: f}}
`;
    const out = parseResourceList(input).render(ours);
    expect(out.startsWith(input.replace(/results:\n- message: from an earlier function\n  severity: warning\n/, ''))).toBe(true);
    expect((parse(out) as { results: KrmResult[] }).results.map((r) => r.message)).toEqual(['from an earlier function', 'a → b']);
  });

  it('keeps a single document when the input ends with a document-end marker', () => {
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n...\n';
    const out = parseResourceList(input).render(ours);
    const documents = parseAllDocuments(out);
    expect(Array.isArray(documents) ? documents.length : 0).toBe(1);
    expect((parse(out) as { results: KrmResult[] }).results).toHaveLength(1);
  });

  it('prints JSON input back as data-equal YAML with results', () => {
    const input = JSON.stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] });
    const out = parse(parseResourceList(input).render(ours)) as Record<string, unknown>;
    expect(out.items).toEqual(JSON.parse(input).items);
    expect(out.results).toHaveLength(1);
  });
});
