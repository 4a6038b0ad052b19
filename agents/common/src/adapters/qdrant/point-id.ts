import { createHash } from 'node:crypto';

// Fixed namespace of chunk point ids; changing it would orphan every stored point.
const CHUNK_NAMESPACE = Buffer.from('6f1c2b0e8d4a4b7e9c3f5a2d1e0b7c64', 'hex');

/**
 * The Qdrant point id of a chunk: a name-based UUID (version 5, RFC 9562) of tenant and chunk id.
 * Qdrant accepts only unsigned integers and UUIDs as ids; deriving the UUID makes upserts of the
 * same chunk replace it, and including the tenant keeps equal chunk ids of two tenants apart.
 */
export function chunkPointId(tenantId: string, chunkId: string): string {
  const bytes = createHash('sha1')
    .update(CHUNK_NAMESPACE)
    .update(`${tenantId}\u0000${chunkId}`, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
