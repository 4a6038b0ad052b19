/**
 * Mesh job ids carry their route: `<agent>.<agent job id>`. Agent names hold no dots, so the first
 * dot splits them, and any mesh replica can route a job with no shared state.
 */

/** A mesh job id taken apart. */
export interface MeshJobRef {
  agent: string;
  jobId: string;
}

const MESH_ID_RE = /^([a-z][a-z0-9-]{0,39})\.([A-Za-z0-9._:-]{1,128})$/;

/** The mesh id of an agent's job. */
export function toMeshJobId(agent: string, jobId: string): string {
  return `${agent}.${jobId}`;
}

/** Splits a mesh job id; undefined when it is not one. */
export function parseMeshJobId(id: string): MeshJobRef | undefined {
  const m = MESH_ID_RE.exec(id);
  if (!m?.[1] || !m[2]) return undefined;
  return { agent: m[1], jobId: m[2] };
}

/** The mesh path of a job, and of its event stream. */
export function meshJobPath(meshId: string, events = false): string {
  return `/v1/jobs/${encodeURIComponent(meshId)}${events ? '/events' : ''}`;
}
