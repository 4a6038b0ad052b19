import { describe, expect, it } from 'vitest';
import { groupOf, summarizeProfile } from './profile-summary.js';

describe('groupOf', () => {
  it('names packages, workspace folders and builtins', () => {
    expect(groupOf('file:///w/node_modules/fastify/lib/route.js')).toBe('fastify');
    expect(groupOf('file:///w/node_modules/@scope/pkg/index.js')).toBe('@scope/pkg');
    expect(groupOf('file:///w/agents/common/src/jobs/engine.ts')).toBe('agents/common/src/jobs');
    expect(groupOf('node:internal/streams/readable')).toBe('node:internal/streams/readable');
    expect(groupOf('')).toBe('(native / idle / gc)');
  });
});

describe('summarizeProfile', () => {
  it('adds up self time per function and per group from samples and time deltas', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const s = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('parse', 'file:///w/node_modules/zod/index.js') },
        { id: 3, callFrame: frame('submit', 'file:///w/agents/common/src/jobs/engine.ts') },
      ],
      samples: [2, 3, 2, 2],
      timeDeltas: [1000, 2000, 3000, 4000],
      startTime: 0,
      endTime: 10_000,
    });
    expect(s.totalMs).toBe(10);
    expect(s.byGroup).toEqual([
      ['zod', 8],
      ['agents/common/src/jobs', 2],
    ]);
    expect(s.byFunction[0]).toEqual(['parse index.js:1', 8]);
  });
});
