import type { z } from 'zod';

/** Zod issues as `{path, message}` pairs for problem bodies. */
export function zodIssues(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(root)',
    message: i.message,
  }));
}
