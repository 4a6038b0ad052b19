import { describe, expect, it } from 'vitest';
import { meshJobPath, parseMeshJobId, toMeshJobId } from './mesh-id.js';

describe('mesh job ids', () => {
  it('round-trips an agent and its job id, splitting at the first dot', () => {
    const id = toMeshJobId('my-agent', '3f2a.b:c');
    expect(id).toBe('my-agent.3f2a.b:c');
    expect(parseMeshJobId(id)).toEqual({ agent: 'my-agent', jobId: '3f2a.b:c' });
  });

  it.each(['', 'orchestrator', 'orchestrator.', '.abc', 'Orchestrator.abc', 'a.b/c', `a.${'x'.repeat(129)}`])(
    'rejects %j',
    (id) => expect(parseMeshJobId(id)).toBeUndefined(),
  );

  it('builds the job and events paths', () => {
    expect(meshJobPath('planner.1')).toBe('/v1/jobs/planner.1');
    expect(meshJobPath('planner.1', true)).toBe('/v1/jobs/planner.1/events');
  });
});
