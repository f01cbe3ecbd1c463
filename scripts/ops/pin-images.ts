/**
 * `durable-runbooks pin-images --registry <url> [--check] [file…]`: pins every image the deploy examples
 * name (`postgres:15` → `postgres:15@sha256:…`), reading each digest from the registry the deployer pulls
 * through. `--check` only lists what is still named by tag, and exits 1 if anything is.
 * Without files: deploy/docker-compose.yml, deploy/Dockerfile and deploy/kubernetes/*.yaml.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { imageRefsIn, resolveDigest, unpinned, withDigests } from './image-pins';

const ROOT = path.resolve(__dirname, '..', '..');

function exampleFiles(): string[] {
  const kube = path.join(ROOT, 'deploy', 'kubernetes');
  return [
    path.join(ROOT, 'deploy', 'docker-compose.yml'),
    path.join(ROOT, 'deploy', 'Dockerfile'),
    ...readdirSync(kube)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => path.join(kube, f)),
  ];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { registry: { type: 'string' }, check: { type: 'boolean' } },
    allowPositionals: true,
  });
  const files = positionals.length ? positionals.map((f) => path.resolve(f)) : exampleFiles();
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')] as const));
  if (values.check) {
    const loose = files.flatMap((f) =>
      unpinned(imageRefsIn(texts.get(f)!)).map((r) => `${path.relative(ROOT, f)}:${r.line}: ${r.ref}`),
    );
    for (const line of loose) console.log(`not pinned by digest: ${line}`);
    if (!loose.length) console.log(`every image in ${files.length} file(s) is pinned by digest`);
    return loose.length ? 1 : 0;
  }
  const registry = values.registry ?? process.env.IMAGE_REGISTRY;
  if (!registry) {
    console.error(
      'pin-images needs --registry <url> (or IMAGE_REGISTRY): the registry your nodes pull through',
    );
    return 2;
  }
  const digests = new Map<string, string>();
  const failures: string[] = [];
  for (const [file, text] of texts) {
    for (const r of imageRefsIn(text)) {
      const key = `${r.name}:${r.tag}`;
      if (digests.has(key)) continue;
      try {
        digests.set(key, await resolveDigest(registry, r.name, r.tag));
        console.log(`${key} → ${digests.get(key)}`);
      } catch (e) {
        failures.push(`${path.relative(ROOT, file)}:${r.line}: ${(e as Error).message}`);
      }
    }
  }
  // All or nothing: a half-pinned example would pass for pinned at a glance.
  if (failures.length) {
    for (const f of failures) console.error(`cannot pin ${f}`);
    console.error('nothing was changed');
    return 1;
  }
  for (const [file, text] of texts) {
    const next = withDigests(text, imageRefsIn(text), digests);
    if (next !== text) writeFileSync(file, next);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
