import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  bearerChallenge,
  imageRefsIn,
  manifestUrl,
  parseImageRef,
  unpinned,
  withDigests,
} from '../../../../scripts/ops/image-pins';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  test('split into name, tag (latest when none) and digest, with or without a registry host', () => {
    expect(parseImageRef('postgres:15')).toEqual({ ref: 'postgres:15', name: 'postgres', tag: '15' });
    expect(parseImageRef('temporalio/ui')).toMatchObject({ name: 'temporalio/ui', tag: 'latest' });
    expect(parseImageRef(`127.0.0.1:5000/acme/app:2.1@${DIGEST}`)).toMatchObject({
      name: '127.0.0.1:5000/acme/app',
      tag: '2.1',
      digest: DIGEST,
    });
    expect(parseImageRef('127.0.0.1:5000/acme/app')).toMatchObject({
      name: '127.0.0.1:5000/acme/app',
      tag: 'latest',
    });
  });

  test("are found in the shipped examples: every third-party image, never this project's own", () => {
    const compose = imageRefsIn(readFileSync(path.join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8'));
    expect(compose.map((r) => r.name).sort()).toEqual([
      'postgres',
      'temporalio/admin-tools',
      'temporalio/admin-tools',
      'temporalio/server',
      'temporalio/ui',
    ]);
    const dockerfile = imageRefsIn(readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8'));
    expect(dockerfile.map((r) => r.ref)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(imageRefsIn('FROM build AS x\nFROM scratch\nFROM ${BASE}\n').map((r) => r.ref)).toEqual(['build']);
  });

  test('unpinned: a tag alone or a malformed digest', () => {
    const refs = imageRefsIn(`image: a:1\nimage: b:1@${DIGEST}\nimage: c:1@sha256:short\n`);
    expect(unpinned(refs).map((r) => r.name)).toEqual(['a', 'c']);
  });

  test('rewriting keeps quotes, comments and stage names, and replaces an old digest', () => {
    const text = `  image: "a:1" # why\nFROM a:1 AS build\n  image: b:2@sha256:${'00'.repeat(32)}\n`;
    const digests = new Map([
      ['a:1', DIGEST],
      ['b:2', DIGEST],
    ]);
    expect(withDigests(text, imageRefsIn(text), digests)).toBe(
      `  image: "a:1@${DIGEST}" # why\nFROM a:1@${DIGEST} AS build\n  image: b:2@${DIGEST}\n`,
    );
  });
});

describe('the registry asked', () => {
  test("short names go to the deployer's registry, official images under library/; a named host is its own", () => {
    expect(manifestUrl('https://mirror.example/', 'postgres', '15')).toBe(
      'https://mirror.example/v2/library/postgres/manifests/15',
    );
    expect(manifestUrl('https://mirror.example', 'temporalio/server', '1.28')).toBe(
      'https://mirror.example/v2/temporalio/server/manifests/1.28',
    );
    expect(manifestUrl('https://mirror.example', 'ghcr.example/acme/app', 'v1')).toBe(
      'https://ghcr.example/v2/acme/app/manifests/v1',
    );
    expect(manifestUrl('https://mirror.example', '127.0.0.1:5000/acme/app', 'v1')).toBe(
      'http://127.0.0.1:5000/v2/acme/app/manifests/v1',
    );
  });

  test('a Bearer challenge gives realm, service and scope; Basic or no realm is not one', () => {
    expect(
      bearerChallenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:library/postgres:pull"',
      ),
    ).toEqual({
      realm: 'https://auth.example/token',
      service: 'reg',
      scope: 'repository:library/postgres:pull',
    });
    expect(bearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(bearerChallenge('Bearer service="x"')).toBeUndefined();
    expect(bearerChallenge(null)).toBeUndefined();
  });
});
