import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `GET /version`. */
export interface BuildInfo {
  name: string;
  version: string;
  git_sha: string;
  build_time: string;
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/**
 * Build identity, in order of preference: `GIT_SHA`/`BUILD_TIME` env (baked into images),
 * `build-info.json` at the repo root (written by `npm run build-info` before start), or git at start —
 * where the code is compiled as it loads, start time is its build time.
 */
export function readBuildInfo(name: string, version: string, repoRoot: string, env = process.env): BuildInfo {
  if (env.GIT_SHA && env.BUILD_TIME)
    return { name, version, git_sha: env.GIT_SHA, build_time: env.BUILD_TIME };
  const file = join(repoRoot, 'build-info.json');
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { git_sha?: unknown; build_time?: unknown };
      if (typeof parsed.git_sha === 'string' && typeof parsed.build_time === 'string') {
        return { name, version, git_sha: parsed.git_sha, build_time: parsed.build_time };
      }
    } catch {
      // fall through to git
    }
  }
  const sha = git(['rev-parse', 'HEAD'], repoRoot) ?? 'unknown';
  const dirty =
    sha !== 'unknown' && git(['status', '--porcelain', '--untracked-files=no'], repoRoot) ? '-dirty' : '';
  return { name, version, git_sha: sha + dirty, build_time: new Date().toISOString() };
}
