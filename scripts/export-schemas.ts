/**
 * Writes the contract's JSON Schemas to agents/common/schema/ (`npm run schemas`).
 *
 *   --check           write nothing; exit 1 listing the files that differ (for CI)
 *   --allow-breaking  write even when a change breaks senders while SCHEMA_VERSION is unchanged
 *                     (only for schemas that were never released)
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compareSchemaFiles,
  renderSchemaFiles,
  VERSION_FILE,
} from '../agents/common/src/contract/json-schema.js';
import { SCHEMA_VERSION } from '../agents/common/src/contract/schemas.js';

/** Where the committed schema files live, found from this file rather than the working directory. */
const SCHEMA_DIR = fileURLToPath(new URL('../agents/common/schema/', import.meta.url));

/** Reads the committed files the export manages: every `*.json` and VERSION. */
async function readCommitted(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('.json') || name === VERSION_FILE) {
      files.set(name, await readFile(path.join(dir, name), 'utf8'));
    }
  }
  return files;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const allowBreaking = argv.includes('--allow-breaking');
  const generated = renderSchemaFiles();
  const committed = await readCommitted(SCHEMA_DIR);
  const { stale, breaking } = compareSchemaFiles(committed, generated, VERSION_FILE);
  const rel = path.relative(process.cwd(), SCHEMA_DIR) || '.';

  if (check) {
    if (stale.length === 0) {
      console.log(`schemas in ${rel} are up to date (${SCHEMA_VERSION})`);
      return 0;
    }
    console.error(`schemas in ${rel} differ from the code; run \`npm run schemas\`:`);
    for (const file of stale) console.error(`  ${file}`);
    for (const change of breaking) console.error(`  breaking: ${change}`);
    return 1;
  }

  if (breaking.length > 0 && !allowBreaking) {
    console.error(`breaking changes while SCHEMA_VERSION is still ${SCHEMA_VERSION}; bump SCHEMA_VERSION:`);
    for (const change of breaking) console.error(`  ${change}`);
    return 1;
  }

  await mkdir(SCHEMA_DIR, { recursive: true });
  for (const file of stale) {
    const content = generated.get(file);
    const target = path.join(SCHEMA_DIR, file);
    if (content === undefined) await rm(target);
    else await writeFile(target, content);
    console.log(`${content === undefined ? 'removed' : 'wrote'} ${path.join(rel, file)}`);
  }
  if (stale.length === 0) console.log(`schemas in ${rel} are up to date (${SCHEMA_VERSION})`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
